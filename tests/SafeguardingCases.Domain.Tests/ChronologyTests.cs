using SafeguardingCases.Domain.Cases;
using SafeguardingCases.Domain.Policy;
using static SafeguardingCases.Domain.Tests.CaseBuilder;

namespace SafeguardingCases.Domain.Tests;

/// <summary>The chronology an export carries (DESIGN.md, Exports): pure, from the events, for each audience.</summary>
public sealed class ChronologyTests
{
    private static readonly Guid Case = Guid.Parse("0d0c1e55-0000-4000-8000-000000000001");
    private static readonly Guid Assessment = Guid.NewGuid();
    private static readonly Guid ToSocialCare = Guid.NewGuid();
    private static readonly Guid ToPolice = Guid.NewGuid();

    private static List<(long Version, ICaseEvent Event)> Events(int serviceUserAge = 15)
    {
        var t = Start;
        var disclosure = Guid.NewGuid();
        ICaseEvent[] events =
        [
            new CaseOpened(Case, Channel.Chat, "chat-42", "kestrel-77", new Age(serviceUserAge, null), "Worried about home", Officer, t),
            new PersonAdded("person-2", "Gideon Thrale", "mum's partner", new Age(40, null), Officer, t),
            new DisclosureRecorded(disclosure, t, Channel.Chat, "msg-1", "Gideon Thrale hits me", [C(ConcernCategory.Physical)], Officer, t),
            new RiskAssessmentRecorded(Assessment, [new PersonAssessment("service-user", ThreatToLife.NotImmediate, [ConcernCategory.Physical], Route.NonEmergency)],
                "Current physical abuse", Clinician, t),
            new EscalationMade(ToSocialCare, Route.NonEmergency, Agency.ChildrensSocialCare, "service-user", Assessment, [disclosure],
                [InformationShared.Name, InformationShared.DisclosureSummary], null,
                new EscalationDecision(PolicyVersion.Unified, PersonClassification.Child, [RuleIds.ChildSafeguarding]), Officer, t),
            new EscalationMade(ToPolice, Route.NonEmergency, Agency.Police101, "service-user", Assessment, [disclosure], [InformationShared.Name], null,
                new EscalationDecision(PolicyVersion.Unified, PersonClassification.Child, [RuleIds.ChildSafeguarding]), Officer, t),
            new TransparencyNoticeWithheld(ToPolice, WithholdReason.WouldPrejudiceInvestigation, "Police asked us to wait", Clinician, t),
            new AgencyResponseRecorded(ToSocialCare, "Visit booked", Officer, t),
            new NoteAdded(Guid.NewGuid(), "Officer One spoke to GIDEON THRALE's employer", Officer, t),
        ];
        return [.. events.Select((e, i) => ((long)i + 1, e))];
    }

    [Theory]
    [InlineData(2026, 7, 1, 15, 0, 5, "1 Jul 2026 16:00:05 BST")]
    [InlineData(2026, 12, 1, 15, 0, 5, "1 Dec 2026 15:00:05 GMT")]
    [InlineData(2026, 3, 29, 0, 59, 59, "29 Mar 2026 00:59:59 GMT")]
    [InlineData(2026, 3, 29, 1, 0, 0, "29 Mar 2026 02:00:00 BST")]
    [InlineData(2026, 10, 25, 0, 59, 59, "25 Oct 2026 01:59:59 BST")]
    [InlineData(2026, 10, 25, 1, 0, 0, "25 Oct 2026 01:00:00 GMT")]
    public void A_chronology_gives_instants_in_uk_time_with_the_zone_so_either_side_of_the_clocks_reads_apart(
        int year, int month, int day, int hour, int minute, int second, string expected) =>
        Chronology.UkTime(NodaTime.Instant.FromUtc(year, month, day, hour, minute, second)).ShouldBe(expected);

    [Fact]
    public void An_internal_chronology_has_every_event_in_words_with_staff_names_and_the_rule_ids_of_decisions()
    {
        var entries = Chronology.For(Events(), ExportAudience.Internal);
        entries.Count.ShouldBe(9);
        entries[0].What.ShouldBe("Case opened from the chat channel for service user kestrel-77 (aged 15). Summary: Worried about home");
        entries[0].By.ShouldBe("Safeguarding officer (Officer One)");
        entries[2].What.ShouldBe($"Disclosure made {Chronology.UkTime(Start)} on the chat channel; concerns: physical (current) about the service user (kestrel-77). Summary: Gideon Thrale hits me");
        entries[4].What.ShouldBe("Non emergency escalation to children's social care about the service user (kestrel-77). Shared: name, disclosure summary.");
        entries[4].RuleIds.ShouldBe([RuleIds.ChildSafeguarding]);
        entries[6].RuleIds.ShouldBe([RuleIds.TransparencyWithheld]);
        entries.Select(e => e.Version).ShouldBe([1L, 2, 3, 4, 5, 6, 7, 8, 9]);
        Chronology.For(Events(), ExportAudience.Court)[3].By.ShouldBe("Clinician (Dr Clinician)");
    }

    [Fact]
    public void MINIMUM_NECESSARY_an_agency_sees_only_its_own_escalations_with_exactly_what_was_shared_and_its_responses()
    {
        var entries = Chronology.For(Events(), ExportAudience.Agency, Agency.ChildrensSocialCare);
        entries.Select(e => e.Version).ShouldBe([5L, 8]);
        entries[0].What.ShouldBe("Non emergency escalation to children's social care. Shared (minimum necessary): name or reference: kestrel-77; " +
                                 "disclosure summary: Gideon Thrale hits me.");
        entries[1].What.ShouldBe("Response from children's social care: Visit booked");
        entries.ShouldAllBe(e => e.By == "Safeguarding officer");

        var police = Chronology.For(Events(), ExportAudience.Agency, Agency.Police101);
        police.Select(e => e.Version).ShouldBe([6L]);
        police[0].What.ShouldNotContain("Gideon", customMessage: "only the name was shared with the police, not the disclosure");
        Chronology.For(Events(), ExportAudience.Agency, Agency.Lado).ShouldBeEmpty();
    }

    [Fact]
    public void Subject_access_flags_child_abuse_serious_harm_a_withheld_notice_and_criminal_investigations_with_stable_ids()
    {
        var export = Guid.NewGuid();
        var flags = Chronology.ExemptionFlags(export, Events());
        flags.Select(f => (f.Version, f.Reason)).ShouldBe([
            (3L, ExemptionReason.ChildAbuse), (4L, ExemptionReason.SeriousHarm), (6L, ExemptionReason.CriminalInvestigation),
            (7L, ExemptionReason.TransparencyWithheld), (7L, ExemptionReason.CriminalInvestigation),
        ]);
        Chronology.ExemptionFlags(export, Events()).ShouldBe(flags, "the same draft always flags the same way");
        Chronology.ExemptionFlags(Guid.NewGuid(), Events()).Select(f => f.FlagId).Intersect(flags.Select(f => f.FlagId)).ShouldBeEmpty();
        // Abuse of an adult is not information about child abuse.
        Chronology.ExemptionFlags(export, Events(serviceUserAge: 30)).ShouldNotContain(f => f.Reason == ExemptionReason.ChildAbuse);
    }

    [Fact]
    public void Subject_access_redacts_other_people_and_staff_names_leaves_out_withheld_entries_and_lists_each_redaction_by_ground()
    {
        var events = Events();
        var exportId = Guid.NewGuid();
        var flags = Chronology.ExemptionFlags(exportId, events);
        var drafted = new SubjectAccessDrafted(exportId, 9, flags, Officer, Start);
        var withheld = flags.Single(f => f.Reason == ExemptionReason.TransparencyWithheld);
        var export = new SubjectAccessExport(drafted,
            [new SubjectAccessFlagDecided(exportId, withheld.FlagId, FlagDecision.Withhold, "Prejudice to a criminal investigation", Lead1, Start)], null);

        var content = Chronology.SubjectAccess(events, export);
        content.Entries.Select(e => e.Version).ShouldNotContain(7L);
        content.Redactions.ShouldContain(new Redaction(7, "entry", "Prejudice to a criminal investigation"));
        var text = string.Join("\n", content.Entries.Select(e => e.What + " " + e.By));
        text.ShouldNotContain("Gideon");
        text.ShouldNotContain("GIDEON");
        text.ShouldNotContain("mum's partner");
        text.ShouldNotContain("Officer One");
        text.ShouldNotContain("Dr Clinician");
        text.ShouldContain("kestrel-77", customMessage: "the service user's own reference stays");
        content.Entries[1].What.ShouldBe("Person at risk added: [redacted: another person], [redacted: another person] (aged 40).");
        content.Entries.Single(e => e.Version == 9).What.ShouldBe("Note: [redacted: member of staff] spoke to [redacted: another person]'s employer");
        content.Redactions.ShouldContain(new Redaction(9, "what", Chronology.ThirdPartyGround));
        content.Redactions.ShouldContain(new Redaction(9, "what", Chronology.StaffNameGround));
        content.Redactions.ShouldContain(new Redaction(1, "by", Chronology.StaffNameGround));
    }

    [Fact]
    public void Counts_read_as_english_one_entry_two_entries()
    {
        var state = CaseState.Replay(Events().Select(e => e.Event))!;
        Chronology.Describe(state, new ChronologyExported(Guid.NewGuid(), ExportAudience.Internal, null, "", "", [4], "cm9vdA==", Officer, Start))
            .ShouldBe("Chronology exported for internal, 1 entry.");
        Chronology.Describe(state, new ChronologyExported(Guid.NewGuid(), ExportAudience.Court, null, "Coroner", "Inquest", [1, 2], "cm9vdA==", Officer, Start))
            .ShouldBe("Chronology exported for court to Coroner, 2 entries. Purpose: Inquest");
        Chronology.Describe(state, new SubjectAccessDrafted(Guid.NewGuid(), 9, [], Officer, Start))
            .ShouldBe("Subject access export drafted up to version 9; 0 entries flagged for a decision.");
    }

    [Fact]
    public void A_destroyed_case_reads_destroyed_where_its_personal_data_was()
    {
        var events = Events();
        var destroyed = CaseState.Replay(events.Select(e => e.Event).Append(new CaseDataDestroyed(Guid.NewGuid(), Lead1, Start, [RuleIds.DestructionTwoLeads], Lead2, Start)))!;
        destroyed.DataDestroyed.ShouldNotBeNull();
        var note = new NoteAdded(Guid.NewGuid(), PersonalAttribute.Destroyed, Officer, Start);
        Chronology.Describe(destroyed, note).ShouldBe("Note: [destroyed]");
        Chronology.For([(1, new CaseOpened(Case, Channel.Text, PersonalAttribute.Destroyed, PersonalAttribute.Destroyed, Age.Unknown, PersonalAttribute.Destroyed, Officer, Start))],
            ExportAudience.Court)[0].What.ShouldBe("Case opened from the text channel for service user [destroyed] (age unknown). Summary: [destroyed]");
    }

    [Fact]
    public void DESTRUCTION_TWO_LEADS_a_destroyed_case_records_only_that_its_skeleton_was_exported_with_recipient_and_purpose_destroyed()
    {
        var c = new CaseBuilder(30);
        c.Run(s => new Decision([new CaseDataDestroyed(Guid.NewGuid(), Lead1, Start, [RuleIds.DestructionTwoLeads], Lead2, Start)], null));
        var export = CaseDecider.Decide(c.State, new RecordExport(Guid.NewGuid(), ExportAudience.Court, null, "Coroner", "Inquest", [1, 2], "cm9vdA=="), c.Context(Lead1));
        Rules.NotDestroyed(c.State, export.Events).ShouldBeNull();
        var recorded = export.Events.ShouldHaveSingleItem().ShouldBeOfType<ChronologyExported>();
        PersonalAttribute.IsDestroyed(recorded.Recipient).ShouldBeTrue();
        PersonalAttribute.IsDestroyed(recorded.Purpose).ShouldBeTrue();
        Rules.NotDestroyed(c.State, [new NoteAdded(Guid.NewGuid(), "x", Officer, Start)])!.RuleIds.ShouldBe([RuleIds.DestructionTwoLeads]);
    }

    [Fact]
    public void A_subject_access_export_is_released_only_when_every_flag_is_decided_and_its_decisions_are_final_after()
    {
        var c = new CaseBuilder(15);
        c.Disclose(C(ConcernCategory.Sexual));
        var id = Guid.NewGuid();
        var flag = new SubjectAccessFlag(Guid.NewGuid(), 2, ExemptionReason.ChildAbuse);
        c.Run(s => CaseDecider.Decide(s, new DraftSubjectAccess(id, 2, [flag]), c.Context(Officer)));
        CaseDecider.Decide(c.State, new DraftSubjectAccess(id, 2, []), c.Context(Officer)).Refusal!.Kind.ShouldBe(RefusalKind.Conflict);
        CaseDecider.Decide(c.State, new ReleaseSubjectAccess(id), c.Context(Lead1)).Refusal!.Detail.ShouldContain("1 flagged entry awaits a decision");
        CaseDecider.Decide(c.State, new ReleaseSubjectAccess(Guid.NewGuid()), c.Context(Lead1)).Refusal!.Kind.ShouldBe(RefusalKind.NotFound);
        CaseDecider.Decide(c.State, new DecideSubjectAccessFlag(id, Guid.NewGuid(), FlagDecision.Release, ""), c.Context(Lead1)).Refusal!.Kind.ShouldBe(RefusalKind.NotFound);

        c.Run(s => CaseDecider.Decide(s, new DecideSubjectAccessFlag(id, flag.FlagId, FlagDecision.Withhold, "Child abuse data"), c.Context(Lead1)));
        c.Run(s => CaseDecider.Decide(s, new DecideSubjectAccessFlag(id, flag.FlagId, FlagDecision.Release, ""), c.Context(Lead2)));
        c.State.FindSubjectAccessExport(id)!.DecisionOn(flag.FlagId)!.Decision.ShouldBe(FlagDecision.Release, "the latest decision counts");
        c.Run(s => CaseDecider.Decide(s, new ReleaseSubjectAccess(id), c.Context(Lead1)));
        c.State.FindSubjectAccessExport(id)!.Released.ShouldNotBeNull();
        CaseDecider.Decide(c.State, new DecideSubjectAccessFlag(id, flag.FlagId, FlagDecision.Withhold, "late"), c.Context(Lead1)).Refusal!.Kind.ShouldBe(RefusalKind.Conflict);
        CaseDecider.Decide(c.State, new ReleaseSubjectAccess(id), c.Context(Lead1)).Refusal!.Kind.ShouldBe(RefusalKind.Conflict);
    }

    [Fact]
    public void Words_reads_the_vocabulary_as_the_glossary_writes_it()
    {
        Chronology.Words("ChildrensSocialCare").ShouldBe("Childrens social care");
        Chronology.Words("SafeguardingLead").ShouldBe("Safeguarding lead");
        Chronology.Words("Age13To15").ShouldBe("Age 13 to 15");
        Chronology.RoleOf(new Actor("x", "X", [Roles.Clinician, Roles.SafeguardingLead])).ShouldBe("Clinician and Safeguarding lead");
        Chronology.RoleOf(new Actor("x", "X", [])).ShouldBe("Staff");
    }
}
