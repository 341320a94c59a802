using NodaTime;
using SafeguardingCases.Domain.Cases;
using SafeguardingCases.Domain.Policy;
using static SafeguardingCases.Domain.Tests.CaseBuilder;

namespace SafeguardingCases.Domain.Tests;

/// <summary>POLICY.md section 8: who may see a case.</summary>
public sealed partial class PolicyRuleTests
{
    private static readonly Actor Moderator = new("moderator-7", "Moderator", [Roles.SafeguardingOfficer]);
    private static readonly Actor Auditor = new("auditor-1", "Auditor", [Roles.Auditor]);

    [Fact]
    public void NEED_TO_KNOW_staff_see_an_unrestricted_case_through_their_role()
    {
        var c = new CaseBuilder(16);
        Rules.NeedToKnow(c.State, Moderator, c.Now).ShouldBe((AccessBasis.Role, null));
        Rules.NeedToKnow(c.State, Auditor, c.Now).Basis.ShouldBe(AccessBasis.Role);
    }

    [Fact]
    public void NEED_TO_KNOW_a_restricted_case_refuses_everyone_not_named_whatever_their_role()
    {
        var c = new CaseBuilder(16);
        c.Run(s => CaseDecider.Decide(s, new RestrictCase(["officer-1"], "Allegation about a moderator"), c.Context(Lead1)));

        var refused = Rules.NeedToKnow(c.State, Moderator, c.Now);
        refused.Basis.ShouldBeNull();
        refused.Refusal!.Kind.ShouldBe(RefusalKind.Restricted);
        refused.Refusal.RuleIds.ShouldBe([RuleIds.NeedToKnow]);
        Rules.NeedToKnow(c.State, Lead2, c.Now).Refusal.ShouldNotBeNull("another lead is not named");
        Rules.NeedToKnow(c.State, Auditor, c.Now).Refusal.ShouldNotBeNull("nor is an auditor");
        Rules.NeedToKnow(c.State, Officer, c.Now).Basis.ShouldBe(AccessBasis.Named);
        Rules.NeedToKnow(c.State, Lead1, c.Now).Basis.ShouldBe(AccessBasis.Named, "the lead who restricts is always named");
    }

    [Fact]
    public void NEED_TO_KNOW_only_a_lead_restricts_and_a_lifted_restriction_ends_break_glass_grants()
    {
        var c = new CaseBuilder(16);
        c.Step(s => CaseDecider.Decide(s, new RestrictCase(["officer-1"], "r"), c.Context(Officer))).Refusal!.RuleIds.ShouldBe([RuleIds.NeedToKnow]);
        c.Step(s => CaseDecider.Decide(s, new LiftRestriction(), c.Context(Lead1))).Refusal!.Kind.ShouldBe(RefusalKind.Conflict, "nothing to lift");

        c.Run(s => CaseDecider.Decide(s, new RestrictCase(["officer-1"], "r"), c.Context(Lead1)));
        c.Run(s => CaseDecider.Decide(s, new BreakGlass(Guid.NewGuid(), "emergency", Duration.FromHours(1)), c.Context(Moderator)));
        c.Run(s => CaseDecider.Decide(s, new LiftRestriction(), c.Context(Lead1)));
        c.State.BreakGlassGrants.ShouldBeEmpty();
        c.Run(s => CaseDecider.Decide(s, new RestrictCase(["officer-1"], "again"), c.Context(Lead1)));
        Rules.NeedToKnow(c.State, Moderator, c.Now).Refusal.ShouldNotBeNull("a grant on a lifted restriction does not carry over");
    }

    [Fact]
    public void BREAK_GLASS_opens_a_restricted_case_to_someone_not_named_until_it_runs_out()
    {
        var c = new CaseBuilder(16);
        c.Run(s => CaseDecider.Decide(s, new RestrictCase(["officer-1"], "r"), c.Context(Lead1)));
        var at = c.Now;
        var grant = c.Step(s => CaseDecider.Decide(s, new BreakGlass(Guid.NewGuid(), "Child at immediate risk", Duration.FromHours(1)), c.Context(Moderator)));
        grant.Refusal.ShouldBeNull();
        ((BreakGlassAccessGranted)grant.Events.Single()).Until.ShouldBe(at + Duration.FromHours(1));

        Rules.NeedToKnow(c.State, Moderator, c.Now).Basis.ShouldBe(AccessBasis.BreakGlass);
        c.AtTime(at + Duration.FromMinutes(59));
        Rules.NeedToKnow(c.State, Moderator, c.Now).Basis.ShouldBe(AccessBasis.BreakGlass);
        c.After(Duration.FromMinutes(1));
        Rules.NeedToKnow(c.State, Moderator, c.Now).Refusal.ShouldNotBeNull("the grant has run out");
        Rules.NeedToKnow(c.State, Lead2, c.Now).Refusal.ShouldNotBeNull("a grant is for the one who broke the glass");
    }

    [Fact]
    public void BREAK_GLASS_is_refused_when_there_is_no_glass_to_break()
    {
        var c = new CaseBuilder(16);
        Rules.BreakGlass(c.State, Moderator, c.Now)!.RuleIds.ShouldBe([RuleIds.BreakGlass]);
        c.Run(s => CaseDecider.Decide(s, new RestrictCase(["officer-1"], "r"), c.Context(Lead1)));
        Rules.BreakGlass(c.State, Officer, c.Now)!.Kind.ShouldBe(RefusalKind.Conflict, "a named officer needs no glass broken");
        c.Run(s => CaseDecider.Decide(s, new BreakGlass(Guid.NewGuid(), "why", Duration.FromHours(1)), c.Context(Moderator)));
        Rules.BreakGlass(c.State, Moderator, c.Now)!.RuleIds.ShouldBe([RuleIds.BreakGlass], "already holds a grant");
    }

    [Fact]
    public void ACCESS_LOG_records_how_the_reader_came_to_see_the_case()
    {
        var c = new CaseBuilder(16);
        var basis = Rules.NeedToKnow(c.State, Moderator, c.Now);
        Rules.AccessLog(basis.Basis, basis.Refusal).ShouldBe("Role");
        c.Run(s => CaseDecider.Decide(s, new RestrictCase(["officer-1"], "r"), c.Context(Lead1)));
        c.Run(s => CaseDecider.Decide(s, new BreakGlass(Guid.NewGuid(), "why", Duration.FromHours(1)), c.Context(Moderator)));
        basis = Rules.NeedToKnow(c.State, Moderator, c.Now);
        Rules.AccessLog(basis.Basis, basis.Refusal).ShouldBe("BreakGlass");
        basis = Rules.NeedToKnow(c.State, Officer, c.Now);
        Rules.AccessLog(basis.Basis, basis.Refusal).ShouldBe("Named");
    }

    [Fact]
    public void ACCESS_LOG_records_a_refused_attempt_as_refused()
    {
        var c = new CaseBuilder(16);
        c.Run(s => CaseDecider.Decide(s, new RestrictCase(["officer-1"], "r"), c.Context(Lead1)));
        var basis = Rules.NeedToKnow(c.State, Auditor, c.Now);
        Rules.AccessLog(basis.Basis, basis.Refusal).ShouldBe("Refused");
    }
}
