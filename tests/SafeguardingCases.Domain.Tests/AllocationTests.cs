using SafeguardingCases.Domain.Cases;
using SafeguardingCases.Domain.Policy;
using static SafeguardingCases.Domain.Tests.CaseBuilder;

namespace SafeguardingCases.Domain.Tests;

/// <summary>Allocation (DESIGN.md "Allocation and notifications"): who receives a case's alerts.</summary>
public sealed class AllocationTests
{
    private static AllocateCase To(Actor who) => new(who.Subject, who.Name, $"{who.Subject}@example.org");

    [Fact]
    public void An_officer_allocates_themselves_and_a_lead_anyone()
    {
        var c = new CaseBuilder(16);
        CaseDecider.Decide(c.State, To(Lead1), c.Context(Officer)).Refusal!.Kind.ShouldBe(RefusalKind.Forbidden);
        c.Run(s => CaseDecider.Decide(s, To(Officer), c.Context(Officer)));
        c.State.Allocation!.Subject.ShouldBe(Officer.Subject);
        c.Run(s => CaseDecider.Decide(s, To(Clinician), c.Context(Lead1)));
        c.State.Allocation!.Email.ShouldBe("clinician-1@example.org");
        CaseDecider.Decide(c.State, new UnallocateCase(), c.Context(Officer)).Refusal!.Kind.ShouldBe(RefusalKind.Forbidden);
        c.Run(s => CaseDecider.Decide(s, new UnallocateCase(), c.Context(Lead2)));
        c.State.Allocation.ShouldBeNull();
        CaseDecider.Decide(c.State, new UnallocateCase(), c.Context(Lead2)).Refusal!.Kind.ShouldBe(RefusalKind.Conflict);
    }

    [Fact]
    public void A_restricted_case_is_allocated_only_to_someone_its_restriction_names_and_a_grant_holder_cannot_allocate()
    {
        var c = new CaseBuilder(16);
        c.Run(s => CaseDecider.Decide(s, new RestrictCase([Officer.Subject], "Allegation about a moderator"), c.Context(Lead1)));
        var refused = CaseDecider.Decide(c.State, To(Clinician), c.Context(Lead1)).Refusal!;
        refused.Kind.ShouldBe(RefusalKind.Conflict);
        refused.RuleIds.ShouldBe([RuleIds.NeedToKnow]);
        c.Run(s => CaseDecider.Decide(s, To(Officer), c.Context(Lead1)));
        Rules.BreakGlassPath(c.State, [new CaseAllocated("x", "X", "x@example.org", Lead2, c.Now)])!.RuleIds.ShouldBe([RuleIds.BreakGlass]);
    }
}
