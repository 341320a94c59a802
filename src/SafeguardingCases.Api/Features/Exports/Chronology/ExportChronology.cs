using FastEndpoints;
using FluentValidation;
using Marten;
using Mediator;
using NodaTime;
using SafeguardingCases.Api.Infrastructure.Auth;
using SafeguardingCases.Api.Infrastructure.Http;
using SafeguardingCases.Api.Infrastructure.Json;
using SafeguardingCases.Api.Infrastructure.Ledger;
using SafeguardingCases.Api.Infrastructure.Messaging;
using SafeguardingCases.Api.Infrastructure.OpenApi;
using SafeguardingCases.Api.Infrastructure.Persistence;
using SafeguardingCases.Domain.Cases;
using R = SafeguardingCases.Domain.Cases.Roles;

namespace SafeguardingCases.Api.Features.Exports.Chronology;

/// <summary>
/// Who the chronology is for (default <c>Internal</c>), the agency for an <c>Agency</c> export, the range of instants
/// (<c>from</c> inclusive, <c>to</c> exclusive; either open), and the recipient and purpose (required for Agency and Court).
/// </summary>
public sealed class ChronologyRequest
{
    public const int MaxText = 500;

    /// <summary>Who the export is for, which decides what it leaves out; none: Internal.</summary>
    public ExportAudience? Audience { get; set; }
    /// <summary>The agency receiving an Agency export (required for one, refused otherwise).</summary>
    public Agency? Agency { get; set; }
    /// <summary>Only entries at or after this instant; none: from the case's opening.</summary>
    public Instant? From { get; set; }
    /// <summary>Only entries before this instant; none: to now.</summary>
    public Instant? To { get; set; }
    /// <summary>Who receives it (required for Agency and Court exports); in the export log.</summary>
    public string? Recipient { get; set; }
    /// <summary>Why it is sent (required for Agency and Court exports); in the export log.</summary>
    public string? Purpose { get; set; }
}

public sealed class ChronologyValidator : Validator<ChronologyRequest>
{
    public ChronologyValidator()
    {
        RuleFor(x => x.Audience).Must(a => a is not ExportAudience.Subject)
            .WithMessage("A subject access export is made with POST /cases/{id}/subject-access-exports and released by a lead.");
        RuleFor(x => x.Agency).NotNull().When(x => x.Audience == ExportAudience.Agency).WithMessage("agency is required for an Agency export.");
        RuleFor(x => x.Agency).Null().When(x => x.Audience != ExportAudience.Agency).WithMessage("agency is only for an Agency export.");
        RuleFor(x => x.Recipient).NotEmpty().When(x => x.Audience is ExportAudience.Agency or ExportAudience.Court)
            .WithMessage("recipient is required for Agency and Court exports.");
        RuleFor(x => x.Purpose).NotEmpty().When(x => x.Audience is ExportAudience.Agency or ExportAudience.Court)
            .WithMessage("purpose is required for Agency and Court exports.");
        RuleFor(x => x.Recipient).MaximumLength(ChronologyRequest.MaxText).Must(Storable).WithMessage("recipient " + StorableStringConverter.Message);
        RuleFor(x => x.Purpose).MaximumLength(ChronologyRequest.MaxText).Must(Storable).WithMessage("purpose " + StorableStringConverter.Message);
        RuleFor(x => x).Must(x => x.From is null || x.To is null || x.From < x.To).OverridePropertyName("from").WithMessage("from must be before to.");
    }

    private static bool Storable(string? text) => text is null || StorableStringConverter.IsStorable(text);
}

/// <summary>
/// GET /cases/{id}/chronology: the case's chronology for an audience, as JSON, CSV or PDF by <c>Accept</c>, carrying
/// its own proof (a signed checkpoint of its entries, and each entry's inclusion proof). Every export is recorded
/// before it leaves: a ledger-signed <c>ChronologyExported</c> event (who, audience, recipient, purpose, entries) and
/// the access log.
/// </summary>
public sealed class ExportChronologyEndpoint(ISender sender) : Endpoint<ChronologyRequest, ChronologyExport>, ILogsCaseAccessBeforeAnswering
{
    public override void Configure()
    {
        Get("/cases/{id}/chronology");
        Roles(R.SafeguardingOfficer, R.SafeguardingLead, R.Auditor);
        Description(b => b.Read<ChronologyExport>("Exports",
                "The case's chronology for an audience, with a signed checkpoint and each entry's inclusion proof; JSON, or text/csv or application/pdf by Accept")
            .WithMetadata(new AlsoAnswersAs((Exporting.Csv, null), (Exporting.Pdf, "binary")))
            .Produces<Problem>(406, Problems.ContentType).Produces<RefusalProblem>(409, Problems.ContentType), clearDefaults: true);
    }

    public override async Task HandleAsync(ChronologyRequest req, CancellationToken ct)
    {
        if (Exporting.Negotiate(HttpContext.Request) is not { } format)
        {
            await Exporting.NotAcceptableAsync(HttpContext);
            return;
        }
        var result = await sender.Send(new ExportChronologyQuery(this.RouteId("id"), User.ToActor(), req), ct);
        if (result.Status != CommandStatus.Done)
        {
            await Exporting.NotMadeAsync(this, result);
            return;
        }
        var export = result.Value!;
        await Exporting.SendAsync(HttpContext, export, format, $"Chronology of a safeguarding case ({export.Audience})", result.Version);
    }
}

public sealed record ExportChronologyQuery(Guid CaseId, Actor Actor, ChronologyRequest Request) : IRequest<CaseCommandResult<ChronologyExport>>;

/// <summary>
/// Builds the chronology from the events as stored, proves and signs it, then records the export through the command
/// runner (NEED-TO-KNOW and BREAK-GLASS decided there, on the case as it stands). Nothing leaves unrecorded.
/// </summary>
public sealed class ExportChronologyHandler(IQuerySession session, Infrastructure.Privacy.CaseKeyRing keys, CaseCommandRunner runner, EventLedger ledger, IClock clock)
    : IRequestHandler<ExportChronologyQuery, CaseCommandResult<ChronologyExport>>
{
    public async ValueTask<CaseCommandResult<ChronologyExport>> Handle(ExportChronologyQuery request, CancellationToken cancellationToken)
    {
        var (query, ct) = (request, cancellationToken);
        var req = query.Request;
        var audience = req.Audience ?? ExportAudience.Internal;
        var (state, _, refusal) = await CaseReadAccess.LoadAsync(session, keys, query.CaseId, query.Actor, clock.GetCurrentInstant(), ct);
        if (refusal is not null) return CaseCommandResult.Fail<ChronologyExport>(CommandStatus.Refused, refusal);
        if (state is null) return CaseCommandResult.Fail<ChronologyExport>(CommandStatus.CaseNotFound);

        var stored = await Exporting.EventsAsync(session, query.CaseId, ct);
        var entries = Domain.Cases.Chronology.For(stored.Events, audience, req.Agency)
            .Where(e => (req.From is null || e.At >= req.From) && (req.To is null || e.At < req.To));
        return await Exporting.ProveAndRecordAsync(runner, ledger, query.CaseId, query.Actor, audience, req.Agency, req.Recipient?.Trim() ?? "",
            req.Purpose?.Trim() ?? "", entries, stored.Hashes, null, ct);
    }
}
