using System.Text;
using CsCheck;
using NodaTime;
using SafeguardingCases.Domain.Cases;
using SafeguardingCases.Domain.Policy;

namespace SafeguardingCases.Domain.Tests;

/// <summary>Invariants of the policy over generated case states.</summary>
public sealed class PolicyPropertyTests
{
    private const long Iterations = 3_000;
    private static readonly PolicyOptions Options = new() { UnifiedPolicyEffectiveFrom = CaseBuilder.EffectiveFrom };
    private static readonly Instant Base = CaseBuilder.EffectiveFrom;
    private static readonly Actor Officer = CaseBuilder.Officer;
    private static readonly Actor Clinician = CaseBuilder.Clinician;

    private static readonly Gen<Age> GenAge = Gen.OneOf(
        Gen.Int[0, 90].Select(y => new Age(y, null)),
        Gen.Enum<AgeBand>().Select(b => new Age(null, b)),
        Gen.Const(Age.Unknown));

    private static readonly Gen<bool?> GenAnswer = Gen.OneOf<bool?>(true, false, null);

    /// <summary>A generated case: persons, disclosures either side of the effective date, assessments, safety plans, overrides.</summary>
    private static Gen<(CaseState State, Instant Now)> GenCase(bool withOverrides = true, Gen<Instant>? disclosedAt = null) =>
        from personCount in Gen.Int[1, 3]
        from ages in GenAge.Array[personCount]
        from answers in Gen.Select(GenAnswer, GenAnswer, GenAnswer).Array[personCount]
        from disclosures in Gen.Select(
                disclosedAt ?? Gen.Int[-400, 400].Select(d => Base + Duration.FromDays(d)),
                Gen.Select(Gen.Enum<ConcernCategory>(), Gen.Enum<ConcernStatus>(), Gen.Int[0, personCount - 1], Gen.Bool).Array[0, 3])
            .Array[0, 5]
        from assessments in Gen.Select(Gen.Int[0, personCount - 1], Gen.Enum<ThreatToLife>(), Gen.Enum<ConcernCategory>().Array[0, 3], Gen.Enum<Route>()).Array[0, 3]
        from plans in Gen.Enum<SafetyPlanOutcome>().Array[0, 2]
        from overrides in Gen.Select(Gen.Int[0, personCount - 1], Gen.OneOf(Route.Emergency, Route.NonEmergency), Gen.Int[0, 2]).Array[withOverrides ? 0 : 0, withOverrides ? 2 : 0]
        from order in Gen.Int[0, 1000].Array[disclosures.Length + assessments.Length + plans.Length]
        from nowOffsetMinutes in Gen.OneOf(Gen.Int[0, 45], Gen.Int[0, 3000])
        select Build(ages, answers, disclosures, assessments, plans, overrides, order, nowOffsetMinutes);

    private static (CaseState, Instant) Build(
        Age[] ages, (bool?, bool?, bool?)[] answers,
        (Instant At, (ConcernCategory, ConcernStatus, int, bool)[] Concerns)[] disclosures,
        (int Person, ThreatToLife Threat, ConcernCategory[] Current, Route Route)[] assessments,
        SafetyPlanOutcome[] plans, (int Person, Route Route, int Approvals)[] overrides, int[] order, int nowOffsetMinutes)
    {
        var t = Instant.FromUtc(2026, 1, 1, 0, 0);
        var events = new List<ICaseEvent> { new CaseOpened(Guid.NewGuid(), Channel.Chat, "s", "u", ages[0], "x", Officer, t) };
        string Id(int i) => i == 0 ? CaseState.ServiceUserId : $"person-{i + 1}";
        for (var i = 1; i < ages.Length; i++) events.Add(new PersonAdded(Id(i), $"r{i}", "d", ages[i], Officer, t));
        for (var i = 0; i < ages.Length; i++)
        {
            var (a, b, c) = answers[i];
            events.Add(new PersonUpdated(Id(i), ages[i], a, b, c, Officer, t));
        }

        // Disclosures, assessments and safety plans interleaved in a generated order, a few minutes apart.
        var steps = new List<(int Key, Func<Instant, ICaseEvent> Make)>();
        var k = 0;
        foreach (var d in disclosures)
        {
            var concerns = d.Concerns.Select(x => new Concern(x.Item1, x.Item2, Id(x.Item3))).ToList();
            steps.Add((order[k++], at => new DisclosureRecorded(Guid.NewGuid(), d.At, Channel.Chat, "s", "x", concerns, Officer, at)));
        }
        foreach (var a in assessments)
            steps.Add((order[k++], at => new RiskAssessmentRecorded(Guid.NewGuid(), [new PersonAssessment(Id(a.Person), a.Threat, a.Current, a.Route)], "r", Clinician, at)));
        foreach (var p in plans)
            steps.Add((order[k++], at => new SafetyPlanAttemptRecorded(Guid.NewGuid(), p, "r", Clinician, at)));
        foreach (var (step, i) in steps.OrderBy(s => s.Key).Select((s, i) => (s, i)))
            events.Add(step.Make(t + Duration.FromMinutes(10 * (i + 1))));

        foreach (var o in overrides)
        {
            var id = Guid.NewGuid();
            events.Add(new OverrideRequested(id, o.Route, Id(o.Person), "j", CaseBuilder.Lead1, t));
            if (o.Approvals >= 1) events.Add(new OverrideApproved(id, "j", CaseBuilder.Lead1, t));
            if (o.Approvals >= 2) events.Add(new OverrideApproved(id, "j", CaseBuilder.Lead2, t));
        }

        var state = CaseState.Replay(events)!;
        return (state, t + Duration.FromMinutes(10 * (steps.Count + 1) + nowOffsetMinutes));
    }

    private static bool HasUsableOverride(CaseState s, string personId, Route route) =>
        s.Overrides.Any(o => o.IsUsable && o.Request.PersonId == personId && o.Request.Route == route);

    [Fact]
    public void An_adult_not_at_risk_never_gets_non_emergency_without_an_approved_override_but_under_legacy_position_of_trust() =>
        GenCase().Sample(x =>
        {
            var decision = PolicyEngine.Evaluate(x.State, Options, x.Now);
            foreach (var p in decision.Persons.Where(p => p.Classification == PersonClassification.AdultNotAtRisk))
            {
                // LEGACY-POSITION-OF-TRUST holds whatever the user's age (POLICY.md section 5).
                if (p.NonEmergency.Status != RouteStatus.NotPermitted && !HasUsableOverride(x.State, p.PersonId, Route.NonEmergency)
                    && !p.NonEmergency.RuleIds.Contains(RuleIds.LegacyPositionOfTrust))
                    return false;
            }
            return true;
        }, iter: Iterations, print: x => Describe(x.State));

    [Fact]
    public void Disclosures_only_before_the_effective_date_never_permit_non_emergency_except_under_legacy_position_of_trust() =>
        GenCase(withOverrides: false, disclosedAt: Gen.Int[-800, -1].Select(d => Base + Duration.FromDays(d))).Sample(x =>
        {
            var decision = PolicyEngine.Evaluate(x.State, Options, x.Now);
            return decision.Persons.All(p =>
                p.NonEmergency.Status == RouteStatus.NotPermitted || p.NonEmergency.RuleIds.Contains(RuleIds.LegacyPositionOfTrust));
        }, iter: Iterations, print: x => Describe(x.State));

    [Fact]
    public void Historical_only_concerns_never_permit_an_emergency_without_an_override() =>
        GenCase().Sample(x =>
        {
            var decision = PolicyEngine.Evaluate(x.State, Options, x.Now);
            foreach (var p in decision.Persons)
            {
                var concerns = x.State.Disclosures.SelectMany(d => d.Concerns).Where(c => c.PersonId == p.PersonId).ToList();
                var historicalOnly = concerns.Count > 0 && concerns.All(c => c.Status == ConcernStatus.Historical);
                if (historicalOnly && p.Emergency.Status != RouteStatus.NotPermitted && !HasUsableOverride(x.State, p.PersonId, Route.Emergency))
                    return false;
            }
            return true;
        }, iter: Iterations, print: x => Describe(x.State));

    [Fact]
    public void Every_permitted_or_required_route_cites_at_least_one_rule_id() =>
        GenCase().Sample(x =>
        {
            var decision = PolicyEngine.Evaluate(x.State, Options, x.Now);
            return decision.Persons.SelectMany(p => new[] { p.Emergency, p.NonEmergency })
                .Where(r => r.Status != RouteStatus.NotPermitted)
                .All(r => r.RuleIds.Count > 0 && r.RuleIds.All(RuleIds.All.Contains));
        }, iter: Iterations, print: x => Describe(x.State));

    [Fact]
    public void Every_not_permitted_route_says_why_with_a_rule_id() =>
        GenCase().Sample(x =>
            PolicyEngine.Evaluate(x.State, Options, x.Now).Persons.SelectMany(p => new[] { p.Emergency, p.NonEmergency })
                .Where(r => r.Status == RouteStatus.NotPermitted)
                .All(r => r.RuleIds.Count > 0 && r.RuleIds.All(RuleIds.All.Contains) && r.Reasons.Count > 0),
            iter: Iterations, print: x => Describe(x.State));

    [Fact]
    public void Whatever_is_permitted_rests_on_a_current_assessment_recommending_that_route() =>
        GenCase().Sample(x =>
            PolicyEngine.Evaluate(x.State, Options, x.Now).Persons.SelectMany(p => new[] { p.Emergency, p.NonEmergency })
                .Where(r => r.Status == RouteStatus.Permitted)
                .All(r => r.RuleIds.Contains(RuleIds.Override) || (r.RuleIds.Contains(RuleIds.CurrentInfo) && r.RuleIds.Contains(RuleIds.ClinicianDecides))),
            iter: Iterations, print: x => Describe(x.State));

    [Fact]
    public void An_override_never_lifts_current_info_or_the_clinicians_recommendation() =>
        GenCase().Sample(x =>
        {
            var decision = PolicyEngine.Evaluate(x.State, Options, x.Now);
            foreach (var p in decision.Persons)
            {
                var assessment = Rules.LatestAssessmentOf(x.State, p.PersonId);
                var pa = assessment?.Assessments.First(a => a.PersonId == p.PersonId);
                foreach (var r in new[] { p.Emergency, p.NonEmergency })
                {
                    if (r.Status != RouteStatus.Permitted) continue;
                    if (pa is null || pa.RecommendedRoute != r.Route) return false;
                }
            }
            return true;
        }, iter: Iterations, print: x => Describe(x.State));

    [Fact]
    public void Evaluate_never_throws_and_is_deterministic() =>
        GenCase().Sample(x =>
        {
            var first = Fingerprint(PolicyEngine.Evaluate(x.State, Options, x.Now));
            var second = Fingerprint(PolicyEngine.Evaluate(x.State, Options, x.Now));
            first.ShouldBe(second);
        }, iter: Iterations, print: x => Describe(x.State));

    [Fact]
    public void The_generator_reaches_every_answer_so_the_properties_above_are_not_vacuous()
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        GenCase().Sample(x =>
        {
            foreach (var p in PolicyEngine.Evaluate(x.State, Options, x.Now).Persons)
            {
                foreach (var r in new[] { p.Emergency, p.NonEmergency })
                {
                    seen.Add($"{r.Route}:{r.Status}");
                    if (r.Status == RouteStatus.Permitted && r.RuleIds.Contains(RuleIds.Override)) seen.Add($"{r.Route}:override");
                }
                seen.Add(p.Classification.ToString());
            }
        }, iter: Iterations, threads: 1);

        string[] expected = [
            "Emergency:Permitted", "Emergency:NotPermitted", "NonEmergency:Permitted", "NonEmergency:Required", "NonEmergency:NotPermitted",
            "NonEmergency:override", "Child", "AdultAtRisk", "AdultNotAtRisk", "UnknownTreatedAsChild",
        ];
        expected.Except(seen).ShouldBeEmpty();
    }

    /// <summary>A generated case and an escalation someone might ask for in it: any person, route, agency and disclosures.</summary>
    private static Gen<(CaseState State, Instant Now, EscalationRequest Request)> GenEscalation() =>
        from x in GenCase()
        from person in Gen.Int[0, 2]
        from route in Gen.OneOf(Route.Emergency, Route.NonEmergency)
        from agency in Gen.Enum<Agency>()
        from mask in Gen.Int[1, 31]
        from withOverride in Gen.Bool
        from single in Gen.Bool
        from fitting in Gen.Bool
        select MakeRequest(x.State, x.Now, person, route, agency, mask, withOverride, single, fitting);

    /// <summary>Half the requests rely on one disclosure, and half go to an agency of their route, so permitted ones are common.</summary>
    private static (CaseState, Instant, EscalationRequest) MakeRequest(CaseState s, Instant now, int person, Route route, Agency agency, int mask,
        bool withOverride, bool single, bool fitting)
    {
        if (single && s.Disclosures.Length > 0) mask = 1 << (mask % s.Disclosures.Length);
        if (fitting) agency = Agencies.Of(route)[mask % Agencies.Of(route).Length];
        var personId = s.Persons[person % s.Persons.Length].Id;
        var assessment = Rules.LatestAssessmentOf(s, personId)?.RiskAssessmentId ?? s.RiskAssessments.FirstOrDefault()?.RiskAssessmentId ?? Guid.Empty;
        var reliesOn = s.Disclosures.Where((_, i) => (mask & (1 << i)) != 0).Select(d => d.DisclosureId).ToList();
        var overrideId = withOverride ? Rules.UsableOverride(s, personId, route)?.Request.OverrideId : null;
        return (s, now, new EscalationRequest(route, agency, personId, assessment, reliesOn, [InformationShared.Name], overrideId));
    }

    private static bool Permitted(CaseState s, Instant now, EscalationRequest r, out EscalationDecision decision)
    {
        decision = PolicyEngine.CheckEscalation(s, r, Options, now).Decision!;
        return decision is not null;
    }

    [Fact]
    public void Whatever_an_escalation_relies_on_was_recorded_before_its_assessment() =>
        GenEscalation().Sample(x =>
        {
            if (!Permitted(x.State, x.Now, x.Request, out _)) return true;
            var assessed = x.State.FindRiskAssessment(x.Request.RiskAssessmentId)!.At;
            return x.Request.ReliesOn.All(id => x.State.FindDisclosure(id)!.At <= assessed);
        }, iter: Iterations, print: x => Describe(x.State));

    [Fact]
    public void A_legacy_disclosure_never_supports_more_than_section_5_allows() =>
        GenEscalation().Sample(x =>
        {
            var r = x.Request;
            if (r.OverrideId is not null || !Permitted(x.State, x.Now, r, out _)) return true;
            foreach (var d in r.ReliesOn.Select(id => x.State.FindDisclosure(id)!).Where(d => Rules.VersionOf(d, Options) == PolicyVersion.Legacy))
            {
                var about = d.Concerns.Where(c => c.PersonId == r.PersonId).ToList();
                var allowed = r.Route == Route.Emergency
                    ? about.Any(c => c.Status == ConcernStatus.Current)
                    : r.PersonId == CaseState.ServiceUserId && r.Agency is Agency.Lado or Agency.Police101
                      && about.Any(c => c.Category == ConcernCategory.PositionOfTrust);
                if (!allowed) return false;
            }
            return true;
        }, iter: Iterations, print: x => Describe(x.State));

    [Fact]
    public void A_required_report_is_discharged_only_by_a_report_relying_on_its_disclosure() =>
        GenEscalation().Sample(x =>
        {
            var r = x.Request;
            if (!Permitted(x.State, x.Now, r, out var decision)) return true;
            var person = x.State.FindPerson(r.PersonId)!;
            var before = Rules.PendingReports(x.State, person, Options).Select(p => p.DisclosureId).ToHashSet();
            var after = CaseState.Evolve(x.State, new EscalationMade(Guid.NewGuid(), r.Route, r.Agency, r.PersonId, r.RiskAssessmentId, r.ReliesOn,
                r.InformationShared, r.OverrideId, decision, Officer, x.Now));
            var discharged = before.Except(Rules.PendingReports(after, after.FindPerson(r.PersonId)!, Options).Select(p => p.DisclosureId)).ToList();
            return discharged.All(id => r.ReliesOn.Contains(id) && r.Route == Route.NonEmergency && r.Agency is Agency.Police101 or Agency.ChildrensSocialCare);
        }, iter: Iterations, print: x => Describe(x.State));

    [Fact]
    public void No_non_emergency_escalation_of_an_adult_not_at_risk_without_an_override_but_under_legacy_position_of_trust() =>
        GenEscalation().Sample(x =>
        {
            var r = x.Request;
            if (r.Route != Route.NonEmergency || r.OverrideId is not null || !Permitted(x.State, x.Now, r, out var decision)) return true;
            // LEGACY-POSITION-OF-TRUST holds whatever the user's age (POLICY.md section 5).
            if (decision.RuleIds.Contains(RuleIds.LegacyPositionOfTrust)) return r.PersonId == CaseState.ServiceUserId;
            var person = x.State.FindPerson(r.PersonId)!;
            return r.ReliesOn.All(id => Rules.Classify(person, x.State.FindDisclosure(id)!.DisclosedAt).Classification != PersonClassification.AdultNotAtRisk);
        }, iter: Iterations, print: x => Describe(x.State));

    [Fact]
    public void The_escalation_generator_reaches_permitted_refused_and_overridden_escalations()
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        GenEscalation().Sample(x =>
        {
            var check = PolicyEngine.CheckEscalation(x.State, x.Request, Options, x.Now);
            seen.Add(check.Decision is null ? $"refused:{check.Refusal!.Kind}" : check.Decision.RuleIds.Contains(RuleIds.Override) ? "overridden" : $"permitted:{x.Request.Route}");
            if (check.Decision is not null && x.Request.ReliesOn.Any(id => Rules.VersionOf(x.State.FindDisclosure(id)!, Options) == PolicyVersion.Legacy)) seen.Add("legacy");
        }, iter: Iterations * 10, threads: 1);
        new[] { "refused:Policy", "permitted:Emergency", "permitted:NonEmergency", "overridden", "legacy" }.Except(seen).ShouldBeEmpty();
    }

    private static string Fingerprint(PolicyDecision d)
    {
        var sb = new StringBuilder();
        foreach (var p in d.Persons)
        {
            sb.Append(p.PersonId).Append(p.Classification).Append(p.ClassificationRuleId);
            foreach (var r in new[] { p.Emergency, p.NonEmergency })
                sb.Append(r.Route).Append(r.Status).AppendJoin(',', r.RuleIds).Append('|').AppendJoin(',', r.Unmet).Append('|')
                  .AppendJoin(',', r.Agencies).Append('|').AppendJoin(',', r.Reasons).Append(r.PolicyVersion);
        }
        foreach (var o in d.Obligations) sb.Append(o.Type).Append(o.DueBy).Append(o.PersonId).Append(o.EscalationId).Append(o.RuleId);
        foreach (var v in d.Disclosures) sb.Append(v.DisclosureId).Append(v.PolicyVersion);
        return sb.ToString();
    }

    private static string Describe(CaseState s) =>
        string.Join("; ", s.Persons.Select(p => $"{p.Id} {p.Age} {p.CareAndSupportNeeds}/{p.ExperiencingOrAtRiskOfAbuseOrNeglect}/{p.UnableToProtectSelf}")) + " | " +
        string.Join("; ", s.Disclosures.Select(d => $"{d.DisclosedAt}@{d.At}: {string.Join(",", d.Concerns.Select(c => $"{c.Category}/{c.Status}/{c.PersonId}"))}")) + " | " +
        string.Join("; ", s.RiskAssessments.Select(a => $"@{a.At} " + string.Join(",", a.Assessments.Select(x => $"{x.PersonId} {x.ThreatToLife} {x.RecommendedRoute} [{string.Join(",", x.CurrentConcerns)}]")))) + " | " +
        string.Join("; ", s.SafetyPlanAttempts.Select(p => $"{p.Outcome}@{p.At}")) + " | " +
        string.Join("; ", s.Overrides.Select(o => $"{o.Request.Route} {o.Request.PersonId} approvals={o.Approvals.Length}"));
}
