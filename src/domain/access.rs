//! Who may do what, where: roles, nested scopes (county ⊃ township ⊃ village) and the acting
//! user. Pure: the use cases look up where a village lies and ask here.

use std::fmt;

use super::ids::{UserId, VillageId};
pub use super::vocabulary::{Role, ScopeKind};

/// Where a user acts, by database id of the county, township or village.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    County(i64),
    Township(i64),
    Village(VillageId),
}

impl Scope {
    pub fn kind(self) -> ScopeKind {
        match self {
            Scope::County(_) => ScopeKind::County,
            Scope::Township(_) => ScopeKind::Township,
            Scope::Village(_) => ScopeKind::Village,
        }
    }
    /// The id of the county, township or village, as the users table keeps it.
    pub fn id(self) -> i64 {
        match self {
            Scope::County(i) | Scope::Township(i) => i,
            Scope::Village(v) => v.get(),
        }
    }
    pub fn from_parts(kind: ScopeKind, id: i64) -> Scope {
        match kind {
            ScopeKind::County => Scope::County(id),
            ScopeKind::Township => Scope::Township(id),
            ScopeKind::Village => Scope::Village(VillageId(id)),
        }
    }

    /// Whether a place (given by its village, township and county ids; a township has no
    /// village, a county neither) lies inside this scope.
    pub fn contains(self, place: Place) -> bool {
        match self {
            Scope::County(c) => place.county_id == c,
            Scope::Township(t) => place.township_id == Some(t),
            Scope::Village(v) => place.village_id == Some(v),
        }
    }
}

/// Where something lies in the county tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Place {
    pub county_id: i64,
    pub township_id: Option<i64>,
    pub village_id: Option<VillageId>,
}

/// The authenticated user making a request.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: UserId,
    pub username: String,
    pub role: Role,
    pub scope: Scope,
}

/// The things one can ask to do, each allowed to some roles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Read,
    ManageRegistry,
    ManageUsers,
    ManageBilling,
    PostEntries,
    ClosePeriods,
    /// Import bank statements and reconcile the books against them.
    Reconcile,
    /// Ask for money to be paid out of a corporate account.
    RequestDisbursement,
    /// Approve or reject someone else's request to pay money out.
    ApproveDisbursement,
    ReadAudit,
    /// Run the inspection rules, read their findings and move them through the workflow.
    Inspect,
}

impl Action {
    /// What the action is, as a refusal names it ("村报账员不能登记凭证").
    pub fn label(self) -> &'static str {
        match self {
            Action::Read => "查看",
            Action::ManageRegistry => "管理村、对公账户和支付渠道",
            Action::ManageUsers => "管理用户",
            Action::ManageBilling => "收款、开票和管理账单",
            Action::PostEntries => "登记或冲销凭证",
            Action::ClosePeriods => "结账",
            Action::Reconcile => "导入银行对账单和对账",
            Action::RequestDisbursement => "提出支出申请",
            Action::ApproveDisbursement => "审批支出申请",
            Action::ReadAudit => "查看操作日志",
            Action::Inspect => "运行检查规则和处理发现",
        }
    }

    /// Who does it instead, as a refusal tells the person refused ("乡镇会计").
    pub fn done_by(self) -> String {
        let roles: Vec<&str> = Role::ALL
            .iter()
            .filter(|r| self.allowed(**r))
            .map(|r| r.label())
            .collect();
        roles.join("或")
    }

    fn allowed(self, role: Role) -> bool {
        use Role::*;
        match self {
            Action::Read => true,
            Action::ManageRegistry | Action::ManageUsers => role == Admin,
            Action::ManageBilling | Action::RequestDisbursement => matches!(role, Clerk | Accountant),
            Action::ApproveDisbursement => role == Accountant,
            Action::PostEntries | Action::ClosePeriods | Action::Reconcile => role == Accountant,
            Action::ReadAudit => matches!(role, Admin | Inspector),
            Action::Inspect => role == Inspector,
        }
    }
}

/// Why an actor may not do something.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Denied {
    /// The place is outside the actor's scope: answered as "not found", so nobody learns what
    /// exists elsewhere.
    OutOfScope,
    /// In scope, but the role may not do this.
    Role { role: Role, action: Action },
}

impl Actor {
    pub fn may(&self, action: Action, place: Place) -> Result<(), Denied> {
        if !self.scope.contains(place) {
            return Err(Denied::OutOfScope);
        }
        if !action.allowed(self.role) {
            return Err(Denied::Role {
                role: self.role,
                action,
            });
        }
        Ok(())
    }
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}({})", self.username, self.role.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(role: Role, scope: Scope) -> Actor {
        Actor {
            user_id: UserId(1),
            username: "u".into(),
            role,
            scope,
        }
    }
    const A: Place = Place {
        county_id: 1,
        township_id: Some(10),
        village_id: Some(VillageId(100)),
    };
    const B: Place = Place {
        county_id: 1,
        township_id: Some(11),
        village_id: Some(VillageId(101)),
    };

    #[test]
    fn scopes_nest_county_township_village() {
        assert!(Scope::County(1).contains(A) && Scope::County(1).contains(B));
        assert!(Scope::Township(10).contains(A) && !Scope::Township(10).contains(B));
        assert!(Scope::Village(VillageId(100)).contains(A) && !Scope::Village(VillageId(100)).contains(B));
    }

    #[test]
    fn a_clerk_of_one_village_sees_nothing_of_another() {
        let clerk = actor(Role::Clerk, Scope::Village(VillageId(100)));
        assert_eq!(clerk.may(Action::ManageBilling, A), Ok(()));
        assert_eq!(clerk.may(Action::Read, B), Err(Denied::OutOfScope));
        assert!(matches!(clerk.may(Action::PostEntries, A), Err(Denied::Role { .. })));
    }

    #[test]
    fn every_action_names_who_does_it_instead() {
        use Action::*;
        for a in [
            Read,
            ManageRegistry,
            ManageUsers,
            ManageBilling,
            PostEntries,
            ClosePeriods,
            Reconcile,
            RequestDisbursement,
            ApproveDisbursement,
            ReadAudit,
            Inspect,
        ] {
            assert!(!a.done_by().is_empty(), "{a:?} is done by somebody");
        }
        assert_eq!(PostEntries.done_by(), "乡镇会计");
        assert_eq!(ManageBilling.done_by(), "乡镇会计或村报账员");
    }

    #[test]
    fn inspectors_read_but_change_nothing() {
        let insp = actor(Role::Inspector, Scope::County(1));
        assert_eq!(insp.may(Action::Read, B), Ok(()));
        assert_eq!(insp.may(Action::ReadAudit, B), Ok(()));
        for a in [
            Action::ManageBilling,
            Action::PostEntries,
            Action::ClosePeriods,
            Action::ManageRegistry,
        ] {
            assert!(insp.may(a, B).is_err(), "{a:?}");
        }
    }
}
