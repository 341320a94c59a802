using FastEndpoints;
using System.Text;
using Marten;
using Microsoft.Net.Http.Headers;
using SafeguardingCases.Api.Infrastructure.Http;
using SafeguardingCases.Api.Infrastructure.Ledger;
using SafeguardingCases.Api.Infrastructure.Persistence;
using SafeguardingCases.Domain.Cases;

namespace SafeguardingCases.Api.Features.Exports;

/// <summary>What every export shares: the case's events as stored (opened for a reader allowed to read the case), and the answer by <c>Accept</c>.</summary>
public static class Exporting
{
    /// <summary>A case's events as stored: each with its version, in order (what the chronology is made from), and each version's chain hash.</summary>
    public sealed record StoredEvents(IReadOnlyList<(long Version, ICaseEvent Event)> Events, IReadOnlyDictionary<long, string> Hashes);

    /// <summary>The case's events with their versions and stored chain hashes.</summary>
    public static async Task<StoredEvents> EventsAsync(IQuerySession session, Guid caseId, CancellationToken ct)
    {
        var events = (await session.Events.FetchStreamAsync(caseId, token: ct)).Where(e => e.Data is ICaseEvent).ToList();
        return new([.. events.Select(e => (e.Version, (ICaseEvent)e.Data))], events.ToDictionary(e => e.Version, e => EventHashChain.HeaderOf(e) ?? ""));
    }

    /// <summary>
    /// Proves the entries (the export's own tree, signed with the ledger's key), records the export through the command
    /// runner (NEED-TO-KNOW and BREAK-GLASS decided there, on the case as it stands) and only then gives the document:
    /// nothing leaves unrecorded. Each export has its own id.
    /// </summary>
    public static Task<CaseCommandResult<ChronologyExport>> ProveAndRecordAsync(CaseCommandRunner runner, EventLedger ledger, Guid caseId, Actor actor,
        ExportAudience audience, Agency? agency, string recipient, string purpose, IEnumerable<ChronologyEntry> entries, IReadOnlyDictionary<long, string> hashes,
        IReadOnlyList<Redaction>? redactions, CancellationToken ct)
    {
        var exportId = Guid.CreateVersion7();
        var (proven, checkpoint) = ExportProof.Prove(exportId, caseId, [.. entries.Select(e => (e, hashes[e.Version]))], ledger);
        var record = new RecordExport(exportId, audience, agency, recipient, purpose, [.. proven.Select(e => e.Version)], checkpoint.RootHash);
        return new CaseCommandFunctions<ChronologyExport>(runner,
            (current, ctx) => CaseDecider.Decide(current, record, ctx),
            (_, appended, _) => new ChronologyExport(exportId, caseId, audience, agency, recipient.Length == 0 ? null : recipient,
                purpose.Length == 0 ? null : purpose, appended[0].At, proven, checkpoint, redactions, ExportProof.HowToVerify))
            .Handle(new(caseId, null, actor, null), ct).AsTask();
    }

    public enum Format { Json, Csv, Pdf }

    public const string Csv = "text/csv";
    public const string Pdf = "application/pdf";

    /// <summary>
    /// The format <c>Accept</c> asks for: JSON by default (no header, <c>*/*</c>, <c>application/*</c>), CSV or PDF when
    /// named, the highest quality first; null when it names none of the three (406).
    /// </summary>
    public static Format? Negotiate(HttpRequest request, bool csvAllowed = true)
    {
        if (!MediaTypeHeaderValue.TryParseList(request.Headers.Accept, out var accepted) || accepted.Count == 0) return Format.Json;
        foreach (var media in accepted.OrderByDescending(m => m.Quality ?? 1))
        {
            if (media.Quality == 0) continue;
            var type = media.MediaType.Value?.ToLowerInvariant();
            switch (type)
            {
                case "application/json" or "*/*" or "application/*" or "application/problem+json": return Format.Json;
                case "text/csv" or "text/*" when csvAllowed: return Format.Csv;
                case Pdf: return Format.Pdf;
            }
        }
        return null;
    }

    /// <summary>406: none of the formats asked for is one an export is made in.</summary>
    public static Task NotAcceptableAsync(HttpContext http, bool csvAllowed = true) =>
        Problems.WriteAsync(http, Problems.Create(406, "Not acceptable",
            $"An export is answered as application/json{(csvAllowed ? ", text/csv" : "")} or application/pdf; ask for one of them in Accept."));

    /// <summary>
    /// An export that was not made: the attempt is in the access log with the status it is answered with (ACCESS-LOG:
    /// refused and not-found reads are logged too), then the problem is written.
    /// </summary>
    public static async Task NotMadeAsync(IEndpoint endpoint, CaseCommandResult<ChronologyExport> result)
    {
        if (CaseAccessFeature.Of(endpoint.HttpContext) is { } access && result.Refusal is not { Kind: RefusalKind.Restricted })
        {
            access.How = result.Refusal is null ? null : Domain.Policy.Rules.AccessLog(null, result.Refusal);
            await access.RecordAsync(result.Status switch
            {
                CommandStatus.CaseNotFound => StatusCodes.Status404NotFound,
                CommandStatus.Refused => Problems.From(result.Refusal!).Status ?? StatusCodes.Status409Conflict,
                _ => StatusCodes.Status503ServiceUnavailable,
            });
        }
        await endpoint.SendCaseResultAsync(result, StatusCodes.Status200OK);
    }

    /// <summary>Writes the export as asked for; the access record of it is committed first (ACCESS-LOG).</summary>
    public static async Task SendAsync(HttpContext http, ChronologyExport export, Format format, string title, long version)
    {
        if (CaseAccessFeature.Of(http) is { } access)
        {
            access.Export = (export.ExportId, export.Audience.ToString());
            await access.RecordAsync(StatusCodes.Status200OK);
        }
        http.Response.Headers.ETag = CaseVersion.ToETag(version);
        var name = $"chronology-{export.CaseId:N}-{export.ExportId:N}";
        switch (format)
        {
            case Format.Json:
                await EndpointResults.SendJsonAsync(http, export, StatusCodes.Status200OK);
                return;
            case Format.Csv:
                await SendFileAsync(http, Encoding.UTF8.GetBytes(ChronologyCsv.Write(export)), "text/csv; charset=utf-8", name + ".csv");
                return;
            default:
                await SendFileAsync(http, ChronologyPdf.Write(export, title), Pdf, name + ".pdf");
                return;
        }
    }

    private static async Task SendFileAsync(HttpContext http, byte[] body, string contentType, string fileName)
    {
        http.Response.StatusCode = StatusCodes.Status200OK;
        http.Response.ContentType = contentType;
        http.Response.Headers.ContentDisposition = $"attachment; filename=\"{fileName}\"";
        http.Response.ContentLength = body.Length;
        http.MarkResponseStart();
        await http.Response.Body.WriteAsync(body, http.RequestAborted);
    }
}
