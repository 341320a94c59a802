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
    private const string Reason = "Caller says the child is in danger now";
    private static readonly Duration Hour = Duration.FromHours(1);
    private static readonly Duration Cap = Duration.FromHours(4);

    private static BreakGlass Glass(string reason, Duration? duration = null) => new(Guid.NewGuid(), reason, duration ?? Hour, Cap);

    /// <summary>A case restricted by Lead1 to officer-1, with Moderator holding a break-glass grant and an emergency escalation made.</summary>
    private static (CaseBuilder Case, Guid Disclosure, Guid Assessment, Guid Emergency) RestrictedWithGrant()
    {
        var c = new CaseBuilder(16);
        var d = c.Disclose(C(ConcernCategory.RiskToLife));
        c.SafetyPlan(SafetyPlanOutcome.NotPossible);
        var a = c.Assess(c.ServiceUser, ThreatToLife.Immediate, Route.Emergency);
        var emergency = c.Escalate(Request(Route.Emergency, Agency.Ambulance999, c.ServiceUser, a, [d]));
        c.Run(s => CaseDecider.Decide(s, new RestrictCase(["officer-1"], "Allegation about a moderator"), c.Context(Lead1)));
        c.Run(s => CaseDecider.Decide(s, Glass(Reason), c.Context(Lead2)));
        return (c, d, a, emergency);
    }

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
        c.Run(s => CaseDecider.Decide(s, Glass("Child at immediate risk"), c.Context(Moderator)));
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
        var grant = c.Step(s => CaseDecider.Decide(s, Glass("Child at immediate risk"), c.Context(Moderator)));
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
        Rules.BreakGlass(c.State, Moderator, c.Now, Reason, Hour, Cap)!.RuleIds.ShouldBe([RuleIds.BreakGlass]);
        c.Run(s => CaseDecider.Decide(s, new RestrictCase(["officer-1"], "r"), c.Context(Lead1)));
        Rules.BreakGlass(c.State, Officer, c.Now, Reason, Hour, Cap)!.Kind.ShouldBe(RefusalKind.Conflict, "a named officer needs no glass broken");
        c.Run(s => CaseDecider.Decide(s, Glass("Caller says the child is in danger"), c.Context(Moderator)));
        Rules.BreakGlass(c.State, Moderator, c.Now, Reason, Hour, Cap)!.RuleIds.ShouldBe([RuleIds.BreakGlass], "already holds a grant");
    }

    [Fact]
    public void ACCESS_LOG_records_how_the_reader_came_to_see_the_case()
    {
        var c = new CaseBuilder(16);
        var basis = Rules.NeedToKnow(c.State, Moderator, c.Now);
        Rules.AccessLog(basis.Basis, basis.Refusal).ShouldBe("Role");
        c.Run(s => CaseDecider.Decide(s, new RestrictCase(["officer-1"], "r"), c.Context(Lead1)));
        c.Run(s => CaseDecider.Decide(s, Glass("Caller says the child is in danger"), c.Context(Moderator)));
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

    [Fact]
    public void BREAK_GLASS_needs_a_reason_of_at_least_ten_characters_once_trimmed()
    {
        var c = new CaseBuilder(16);
        c.Run(s => CaseDecider.Decide(s, new RestrictCase(["officer-1"], "r"), c.Context(Lead1)));
        foreach (var reason in new[] { "x", "emergency", "   emergency   " })
        {
            var refused = c.Step(s => CaseDecider.Decide(s, Glass(reason), c.Context(Moderator))).Refusal!;
            refused.Kind.ShouldBe(RefusalKind.Restricted);
            refused.RuleIds.ShouldBe([RuleIds.BreakGlass]);
        }
        c.Step(s => CaseDecider.Decide(s, Glass("emergency!"), c.Context(Moderator))).Refusal.ShouldBeNull("ten characters");
    }

    [Fact]
    public void BREAK_GLASS_lasts_at_most_the_configured_cap()
    {
        var c = new CaseBuilder(16);
        c.Run(s => CaseDecider.Decide(s, new RestrictCase(["officer-1"], "r"), c.Context(Lead1)));
        var refused = c.Step(s => CaseDecider.Decide(s, Glass(Reason, Cap + Duration.FromSeconds(1)), c.Context(Moderator))).Refusal!;
        refused.Kind.ShouldBe(RefusalKind.Restricted);
        refused.RuleIds.ShouldBe([RuleIds.BreakGlass]);
        c.Step(s => CaseDecider.Decide(s, Glass(Reason, Cap), c.Context(Moderator))).Refusal.ShouldBeNull();
    }

    [Fact]
    public void BREAK_GLASS_opens_the_emergency_path_only()
    {
        var (c, d, a, emergency) = RestrictedWithGrant();
        var events = new ICaseEvent[]
        {
            new NoteAdded(Guid.NewGuid(), "n", Lead2, c.Now),
            new DisclosureRecorded(Guid.NewGuid(), c.Now, Channel.Chat, "s", "s", [], Lead2, c.Now),
            new SafetyPlanAttemptRecorded(Guid.NewGuid(), SafetyPlanOutcome.NotPossible, "r", Lead2, c.Now),
            new TransparencyNoticeSent(emergency, "m", "chat", Lead2, c.Now),
            new TransparencyNoticeWithheld(emergency, WithholdReason.NoMeansOfContact, "d", Lead2, c.Now),
        };
        foreach (var e in events) Rules.BreakGlassPath(c.State, [e]).ShouldBeNull(e.GetType().Name);
        c.Step(s => CaseDecider.Decide(s, new RecordRiskAssessment(Guid.NewGuid(), [], "r"), c.Context(Clinician))).Events
            .ShouldAllBe(e => Rules.BreakGlassPath(c.State, new[] { e }) == null);

        var outside = new ICaseEvent[]
        {
            new CaseRestrictionLifted(Lead2, c.Now),
            new CaseRestricted(["lead-2"], "mine now", Lead2, c.Now),
            new OverrideRequested(Guid.NewGuid(), Route.NonEmergency, c.ServiceUser, "j", Lead2, c.Now),
            new OverrideApproved(Guid.NewGuid(), "j", Lead2, c.Now),
            new CaseClosed("r", Lead2, c.Now),
            new CaseReopened("r", Lead2, c.Now),
            new PersonAdded("person-2", "r", "d", Age.Unknown, Lead2, c.Now),
        };
        foreach (var e in outside)
        {
            var refused = Rules.BreakGlassPath(c.State, [e]);
            refused.ShouldNotBeNull(e.GetType().Name);
            refused.Kind.ShouldBe(RefusalKind.Restricted);
            refused.RuleIds.ShouldBe([RuleIds.BreakGlass]);
        }
    }

    [Fact]
    public void BREAK_GLASS_a_non_emergency_escalation_and_its_notice_are_off_the_path()
    {
        var (c, d, a, _) = RestrictedWithGrant();
        var nonEmergency = new EscalationMade(Guid.NewGuid(), Route.NonEmergency, Agency.ChildrensSocialCare, c.ServiceUser, a, [d], [],
            null, null!, Lead2, c.Now);
        Rules.BreakGlassPath(c.State, [nonEmergency])!.RuleIds.ShouldBe([RuleIds.BreakGlass]);
        Rules.BreakGlassPath(c.State, [nonEmergency with { Route = Route.Emergency, Agency = Agency.Ambulance999 }]).ShouldBeNull();
        Rules.BreakGlassPath(c.State, [new TransparencyNoticeSent(Guid.NewGuid(), "m", "chat", Lead2, c.Now)])
            .ShouldNotBeNull("a notice for an escalation that is not an emergency one");
    }

    [Fact]
    public void RESTRICTION_OWNERS_only_a_lead_named_in_the_restriction_changes_or_lifts_it()
    {
        var (c, _, _, _) = RestrictedWithGrant();
        Rules.NeedToKnow(c.State, Lead2, c.Now).Basis.ShouldBe(AccessBasis.BreakGlass, "Lead2 broke the glass");

        var lift = c.Step(s => CaseDecider.Decide(s, new LiftRestriction(), c.Context(Lead2))).Refusal!;
        lift.Kind.ShouldBe(RefusalKind.Restricted);
        lift.RuleIds.ShouldBe([RuleIds.RestrictionOwners]);
        var replace = c.Step(s => CaseDecider.Decide(s, new RestrictCase(["lead-2"], "mine now"), c.Context(Lead2))).Refusal!;
        replace.RuleIds.ShouldBe([RuleIds.RestrictionOwners]);

        c.Step(s => CaseDecider.Decide(s, new RestrictCase(["officer-1", "lead-2"], "add a lead"), c.Context(Lead1))).Refusal
            .ShouldBeNull("the restricting lead is named");
        c.Run(s => CaseDecider.Decide(s, new RestrictCase(["officer-1", "lead-2"], "add a lead"), c.Context(Lead1)));
        c.Step(s => CaseDecider.Decide(s, new LiftRestriction(), c.Context(Lead2))).Refusal.ShouldBeNull("now named");
    }

    [Fact]
    public void BREAK_GLASS_a_new_restriction_ends_every_earlier_grant()
    {
        var (c, _, _, _) = RestrictedWithGrant();
        c.State.BreakGlassGrants.ShouldNotBeEmpty();
        c.Run(s => CaseDecider.Decide(s, new RestrictCase(["officer-1"], "tightened"), c.Context(Lead1)));
        c.State.BreakGlassGrants.ShouldBeEmpty();
        Rules.NeedToKnow(c.State, Lead2, c.Now).Refusal!.RuleIds.ShouldBe([RuleIds.NeedToKnow]);
    }

    [Fact]
    public void RESTRICTION_OWNERS_any_lead_restricts_an_unrestricted_case_and_a_named_officer_cannot_lift()
    {
        var c = new CaseBuilder(16);
        Rules.RestrictionOwners(c.State, Lead2).ShouldBeNull("nothing to own yet");
        c.Run(s => CaseDecider.Decide(s, new RestrictCase(["officer-1"], "r"), c.Context(Lead2)));
        Rules.RestrictionOwners(c.State, Lead2).ShouldBeNull("the restricting lead is named");
        Rules.RestrictionOwners(c.State, Lead1)!.RuleIds.ShouldBe([RuleIds.RestrictionOwners]);
        Rules.RestrictionOwners(c.State, Officer)!.RuleIds.ShouldBe([RuleIds.RestrictionOwners], "named, but not a lead");
    }
}
