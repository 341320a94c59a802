using NodaTime;
using SafeguardingCases.Domain.Cases;
using SafeguardingCases.Domain.Policy;

namespace SafeguardingCases.Domain.Tests;

/// <summary>
/// Builds a case state the way the API does: through the decide functions and the evolve function, with a clock that
/// moves forward a minute per step unless told otherwise. A refused step fails the test at once.
/// </summary>
public sealed class CaseBuilder
{
    public static readonly Instant EffectiveFrom = Instant.FromUtc(2025, 4, 1, 0, 0);
    public static readonly Instant Start = Instant.FromUtc(2026, 1, 10, 9, 0);
    public static readonly Actor Officer = new("officer-1", "Officer One", [Roles.SafeguardingOfficer]);
    public static readonly Actor Clinician = new("clinician-1", "Dr Clinician", [Roles.Clinician]);
    public static readonly Actor Lead1 = new("lead-1", "Lead One", [Roles.SafeguardingLead]);
    public static readonly Actor Lead2 = new("lead-2", "Lead Two", [Roles.SafeguardingLead]);

    private int nextId;

    public CaseBuilder(int? ageYears = 16, AgeBand? band = null, PolicyOptions? options = null)
    {
        Options = options ?? new PolicyOptions { UnifiedPolicyEffectiveFrom = EffectiveFrom };
        Now = Start;
        var decision = CaseDecider.Open(new OpenCase(Guid.NewGuid(), Channel.Boards, "post-1", "handle-1", new Age(ageYears, band), "summary"), Context(Officer));
        Apply(decision);
    }

    public PolicyOptions Options { get; }
    public Instant Now { get; private set; }
    public CaseState State { get; private set; } = new();
    public string ServiceUser => CaseState.ServiceUserId;

    public CaseBuilder After(Duration duration) { Now += duration; return this; }

    public CaseBuilder AtTime(Instant instant) { Now = instant; return this; }

    public PolicyDecision Evaluate() => PolicyEngine.Evaluate(State, Options, Now);

    public PersonDecision Person(string personId = CaseState.ServiceUserId) => Evaluate().Persons.Single(p => p.PersonId == personId);

    public string AddPerson(int? ageYears, AgeBand? band = null, string description = "another person")
    {
        Run(s => CaseDecider.Decide(s, new AddPerson($"ref-{nextId++}", description, new Age(ageYears, band)), Context(Officer)));
        return State.Persons[^1].Id;
    }

    public CaseBuilder Answers(string personId, bool? care, bool? abuse, bool? unable, int? ageYears = null, AgeBand? band = null)
    {
        var person = State.FindPerson(personId)!;
        var age = ageYears is null && band is null ? person.Age : new Age(ageYears, band);
        Run(s => CaseDecider.Decide(s, new UpdatePerson(personId, age, care, abuse, unable), Context(Officer)));
        return this;
    }

    /// <summary>Records a person's date of birth (AGE-CHILD), keeping the adult-at-risk answers.</summary>
    public CaseBuilder Born(string personId, LocalDate dateOfBirth)
    {
        var person = State.FindPerson(personId)!;
        Run(s => CaseDecider.Decide(s, new UpdatePerson(personId, Age.Born(dateOfBirth), person.CareAndSupportNeeds,
            person.ExperiencingOrAtRiskOfAbuseOrNeglect, person.UnableToProtectSelf), Context(Officer)));
        return this;
    }

    public Decision TryClose() => Step(s => CaseDecider.Decide(s, new CloseCase("done"), Context(Officer)));

    /// <summary>Makes a person an adult at risk (ADULT-AT-RISK: all three answers recorded as yes).</summary>
    public CaseBuilder AdultAtRisk(string personId, int ageYears = 30) => Answers(personId, true, true, true, ageYears);

    public Guid Disclose(params Concern[] concerns) => DiscloseAt(Now - Duration.FromMinutes(30), concerns);

    public Guid DiscloseAt(Instant disclosedAt, params Concern[] concerns)
    {
        var id = Guid.NewGuid();
        Run(s => CaseDecider.Decide(s, new RecordDisclosure(id, disclosedAt, Channel.Boards, "post-2", "summary", concerns), Context(Officer)));
        return id;
    }

    public Guid Assess(params PersonAssessment[] assessments)
    {
        var id = Guid.NewGuid();
        Run(s => CaseDecider.Decide(s, new RecordRiskAssessment(id, assessments, "rationale"), Context(Clinician)));
        return id;
    }

    public Guid Assess(string personId, ThreatToLife threat, Route route, params ConcernCategory[] current) =>
        Assess(new PersonAssessment(personId, threat, current, route));

    public CaseBuilder SafetyPlan(SafetyPlanOutcome outcome, Actor? by = null)
    {
        Run(s => CaseDecider.Decide(s, new RecordSafetyPlanAttempt(Guid.NewGuid(), outcome, "reason"), Context(by ?? Officer)));
        return this;
    }

    public Decision TryEscalate(EscalationRequest request, Actor? by = null) =>
        Step(s => CaseDecider.Decide(s, new Escalate(Guid.NewGuid(), request), Context(by ?? Officer)));

    public Guid Escalate(EscalationRequest request)
    {
        var decision = TryEscalate(request);
        decision.Refusal.ShouldBeNull(decision.Refusal?.Detail);
        return ((EscalationMade)decision.Events[0]).EscalationId;
    }

    public Guid RequestOverride(Route route, string personId)
    {
        var id = Guid.NewGuid();
        Run(s => CaseDecider.Decide(s, new RequestOverride(id, route, personId, "why"), Context(Lead1)));
        return id;
    }

    public Decision TryApprove(Guid overrideId, Actor lead) =>
        Step(s => CaseDecider.Decide(s, new ApproveOverride(overrideId, "approved because"), Context(lead)));

    public Decision Step(Func<CaseState, Decision> decide)
    {
        var decision = decide(State);
        Apply(decision);
        Now += Duration.FromMinutes(1);
        return decision;
    }

    public CaseBuilder Run(Func<CaseState, Decision> decide)
    {
        var decision = Step(decide);
        decision.Refusal.ShouldBeNull(decision.Refusal?.Detail);
        return this;
    }

    public CommandContext Context(Actor actor) => new(actor, Now, Options);

    private void Apply(Decision decision)
    {
        foreach (var e in decision.Events) State = CaseState.Evolve(State.Id == Guid.Empty && e is CaseOpened ? null : State, e);
    }

    public static Concern C(ConcernCategory category, string personId = CaseState.ServiceUserId, ConcernStatus status = ConcernStatus.Current) =>
        new(category, status, personId);

    public static Concern H(ConcernCategory category, string personId = CaseState.ServiceUserId) => C(category, personId, ConcernStatus.Historical);

    public static EscalationRequest Request(Route route, Agency agency, string personId, Guid assessment, IReadOnlyList<Guid> reliesOn,
        IReadOnlyList<InformationShared>? shared = null, Guid? overrideId = null) =>
        new(route, agency, personId, assessment, reliesOn, shared ?? [InformationShared.Name, InformationShared.AddressOrLocation], overrideId);
}
