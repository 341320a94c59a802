using SafeguardingCases.Web.Client.Generated.Models;

namespace SafeguardingCases.Web.Components.Pages;

/// <summary>
/// What every form on a case carries: the version the page showed (sent as <c>If-Match</c>, so a change made since is
/// 412, never overwritten) and a key made once when the form was shown (sent as <c>Idempotency-Key</c>, so a double
/// click or a retry records once).
/// </summary>
public class CommandForm
{
    public string Key { get; set; } = Guid.NewGuid().ToString("N");
    public long? Version { get; set; }
}

public sealed class NoteForm : CommandForm { public string? Text { get; set; } }

public sealed class AllocateForm : CommandForm { public string? Email { get; set; } }

/// <summary>A lead allocating the case to another member of staff: their token subject, name and email for alerts.</summary>
public sealed class AllocateOtherForm : CommandForm
{
    public string? Subject { get; set; }
    public string? Name { get; set; }
    public string? Email { get; set; }
    /// <summary>The lead knows nobody has signed in as <see cref="Subject"/> yet (a new starter), so it is not checked.</summary>
    public bool NotSignedInYet { get; set; }
}

public sealed class DisclosureForm : CommandForm
{
    /// <summary>When the user said it (UK time); shown as now, to the minute, for the officer to correct.</summary>
    public DateTime? DisclosedAt { get; set; } = Shared.Format.NowInUk();
    public string? Summary { get; set; }
    public ConcernCategory? Category { get; set; }
    public ConcernStatus? Status { get; set; } = ConcernStatus.Current;
    public string? PersonId { get; set; } = "service-user";
    public ConcernCategory? SecondCategory { get; set; }
    public ConcernStatus? SecondStatus { get; set; } = ConcernStatus.Current;
    public string? SecondPersonId { get; set; } = "service-user";
}

public sealed class PersonForm : CommandForm
{
    public string? Reference { get; set; }
    public string? Description { get; set; }
    public int? AgeYears { get; set; }
}

public sealed class UpdatePersonForm : CommandForm
{
    public string? PersonId { get; set; } = "service-user";
    public int? AgeYears { get; set; }
    public string? CareAndSupportNeeds { get; set; }
    public string? AtRiskOfAbuse { get; set; }
    public string? UnableToProtectSelf { get; set; }
}

public sealed class AssessmentForm : CommandForm
{
    public string? PersonId { get; set; } = "service-user";
    public ThreatToLife? ThreatToLife { get; set; } = Client.Generated.Models.ThreatToLife.None;
    public ConcernCategory[] Concerns { get; set; } = [];
    public Route? RecommendedRoute { get; set; } = Route.None;
    public string? Rationale { get; set; }
}

public sealed class SafetyPlanForm : CommandForm
{
    public SafetyPlanOutcome? Outcome { get; set; } = SafetyPlanOutcome.NotPossible;
    public string? Reason { get; set; }
}

public sealed class EscalationForm : CommandForm
{
    public string? PersonId { get; set; } = "service-user";
    public Route? Route { get; set; } = Client.Generated.Models.Route.NonEmergency;
    public Agency? Agency { get; set; }
    public Guid? RiskAssessmentId { get; set; }
    public Guid[] ReliesOn { get; set; } = [];
    public InformationShared[] Shared { get; set; } = [];
    public Guid? OverrideId { get; set; }
}

public sealed class NoticeForm : CommandForm
{
    public Guid? EscalationId { get; set; }
    public string? Message { get; set; }
    public string? SentVia { get; set; }
}

public sealed class WithholdForm : CommandForm
{
    public Guid? EscalationId { get; set; }
    public WithholdReason? Reason { get; set; }
    public string? Detail { get; set; }
}

public sealed class AgencyResponseForm : CommandForm
{
    public Guid? EscalationId { get; set; }
    public string? Summary { get; set; }
}

public sealed class ReasonForm : CommandForm { public string? Reason { get; set; } }

public sealed class ReportDelayForm : CommandForm
{
    public string? PersonId { get; set; } = "service-user";
    public DateTime? Until { get; set; }
    public string? Reason { get; set; }
}

public sealed class OverrideRequestForm : CommandForm
{
    public Route? Route { get; set; } = Client.Generated.Models.Route.NonEmergency;
    public string? PersonId { get; set; } = "service-user";
    public string? Justification { get; set; }
}

public sealed class OverrideApprovalForm : CommandForm
{
    public Guid? OverrideId { get; set; }
    public string? Justification { get; set; }
}

public sealed class RestrictForm : CommandForm
{
    public string? AllowedSubjects { get; set; }
    public string? Reason { get; set; }
    /// <summary>The lead knows some of the named staff have not signed in yet, so the names are not checked.</summary>
    public bool NotSignedInYet { get; set; }
}

/// <summary>A lead's decision on one flag of a subject access export.</summary>
public sealed class FlagDecisionForm : CommandForm
{
    public Guid? FlagId { get; set; }
    public FlagDecision? Decision { get; set; }
    public string? Ground { get; set; }
}

/// <summary>A webhook endpoint to register: its address and, one box each, the events it takes.</summary>
public sealed class RegisterWebhookForm : CommandForm
{
    public string? Url { get; set; }
    public bool ObligationDueSoon { get; set; }
    public bool ObligationOverdue { get; set; }
    public bool ObligationEscalated { get; set; }
    public bool EscalationMade { get; set; }
    public bool CaseClosed { get; set; }

    public List<WebhookEvent?> Events() =>
    [
        .. new (bool On, WebhookEvent Event)[]
        {
            (ObligationDueSoon, WebhookEvent.ObligationDueSoon), (ObligationOverdue, WebhookEvent.ObligationOverdue),
            (ObligationEscalated, WebhookEvent.ObligationEscalated), (EscalationMade, WebhookEvent.EscalationMade), (CaseClosed, WebhookEvent.CaseClosed),
        }.Where(e => e.On).Select(e => (WebhookEvent?)e.Event),
    ];
}

/// <summary>An action on one webhook endpoint or one of its deliveries (rotate, remove, deliver again), with its own key.</summary>
public sealed class WebhookActionForm : CommandForm
{
    public Guid? Target { get; set; }
}
