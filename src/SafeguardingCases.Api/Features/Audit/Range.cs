using FastEndpoints;
using FluentValidation;
using NodaTime;

namespace SafeguardingCases.Api.Features.Audit;

/// <summary>
/// A time range, <c>from</c> inclusive and <c>to</c> exclusive, of any length. Either end may be left open: no
/// <c>to</c> is now, no <c>from</c> (with a <c>to</c>) is the earliest instant a query can name ("since the start");
/// neither is the last 90 days.
/// </summary>
public sealed class RangeRequest
{
    public static readonly Duration DefaultSpan = Duration.FromDays(90);

    /// <summary>The range's start (inclusive); none: 90 days before <c>to</c>, or the start of the record when <c>to</c> is given.</summary>
    public Instant? From { get; set; }
    /// <summary>The range's end (exclusive); none: now.</summary>
    public Instant? To { get; set; }

    public (Instant From, Instant To) Resolve(Instant now)
    {
        var to = To ?? now;
        var from = From ?? (To is null ? to - DefaultSpan : Infrastructure.Http.QueryValues.Earliest);
        return (from, to < from ? from : to);
    }
}

public sealed class RangeValidator : Validator<RangeRequest>
{
    public RangeValidator() =>
        RuleFor(x => x).Must(x => x.From is null || x.To is null || x.From < x.To).OverridePropertyName("from").WithMessage("from must be before to.");
}

/// <summary>An auditors' list across cases: an optional, open-ended range (<c>from</c> inclusive, <c>to</c> exclusive) and cursor paging.</summary>
public abstract class AuditPageRequest
{
    public const int MaxLimit = 200;

    /// <summary>Only what happened at or after this instant; none: from the start.</summary>
    public Instant? From { get; set; }
    /// <summary>Only what happened before this instant; none: until now.</summary>
    public Instant? To { get; set; }
    public int? Limit { get; set; }
    public string? Cursor { get; set; }
}

/// <summary>The rules every auditors' page shares; a list adds its own filters' rules.</summary>
public abstract class AuditPageValidator<T> : Validator<T> where T : AuditPageRequest
{
    protected AuditPageValidator()
    {
        RuleFor(x => x.Limit).InclusiveBetween(1, AuditPageRequest.MaxLimit);
        RuleFor(x => x).Must(x => x.From is null || x.To is null || x.From < x.To).OverridePropertyName("from").WithMessage("from must be before to.");
        RuleFor(x => x.Cursor).Must(c => c is null || Infrastructure.Http.Cursor.Decode(c) is not null).WithMessage("cursor is the next value of a previous page.");
    }
}

/// <summary>A row of an auditors' list: the case it is about, and its place in the list (time, then id).</summary>
public interface IAuditRow
{
    Guid CaseId { get; }
    string SortKey { get; }

    /// <summary>
    /// Opens the row's personal texts (every <c>[Personal]</c> string in it, nested ones too), read sealed
    /// (<see cref="SortKeyPage.ReadAsync{TRow}"/>), with the page's keys prepared and <paramref name="missing"/> those
    /// gone; none by default. A row type with personal texts that does not open them shows them sealed (the tests of
    /// each list compare the texts).
    /// </summary>
    void Open(Infrastructure.Privacy.CaseKeyRing keys, IReadOnlySet<Guid> missing)
    {
    }
}

/// <summary>
/// A keyset page on a document's indexed <c>sortKey</c> (time then id, <see cref="Infrastructure.Http.Cursor"/>): after
/// the cursor, within the range, oldest first, one more row than the page so the next cursor is known. An index range
/// scan that stops after the page, at any store size.
/// </summary>
public static class SortKeyPage
{
    /// <summary>
    /// One page of an auditors' list: its rows (at most <c>limit</c>, default 50) and the cursor of the next page (null on
    /// the last), after the request's cursor and within its range, with the list's own filters.
    /// </summary>
    public static async Task<(IReadOnlyList<TRow> Rows, string? Next)> ReadAsync<TRow>(Marten.IQuerySession session,
        Infrastructure.Privacy.CaseKeyRing keys, AuditPageRequest req, CancellationToken ct, params (string Clause, object Value)[] filters)
        where TRow : IAuditRow
    {
        var limit = req.Limit ?? 50;
        var (where, parameters) = Where(req.Cursor is null ? null : Infrastructure.Http.Cursor.Decode(req.Cursor), req.From, req.To, limit, filters);
        // DESTRUCTION-TWO-LEADS: the rows' sealed texts are opened without loading their cases (which would show one
        // destroyed): every key of the page is asked about in one query, so one another instance destroyed since is
        // forgotten and opens nothing, and none is read one by one from inside the serializer.
        var (rows, missing) = await keys.QuerySealedAsync<TRow>(session, where, parameters, r => r.CaseId, recheckHeld: true, ct);
        foreach (var row in rows) row.Open(keys, missing);
        return ([.. rows.Take(limit)], rows.Count > limit ? Infrastructure.Http.Cursor.Encode(rows[limit - 1].SortKey) : null);
    }

    public static (string Where, object[] Parameters) Where(string? afterKey, Instant? from, Instant? to, int limit, params (string Clause, object Value)[] filters)
    {
        var where = new System.Text.StringBuilder("where data ->> 'sortKey' > ?");
        var parameters = new List<object> { afterKey ?? "" };
        foreach (var (clause, value) in filters)
        {
            where.Append(" and ").Append(clause);
            parameters.Add(value);
        }
        if (from is { } f)
        {
            where.Append(" and data ->> 'sortKey' >= ?");
            parameters.Add(Infrastructure.Http.Cursor.Bound(f));
        }
        if (to is { } t)
        {
            where.Append(" and data ->> 'sortKey' < ?");
            parameters.Add(Infrastructure.Http.Cursor.Bound(t));
        }
        where.Append(" order by data ->> 'sortKey' limit ").Append((limit + 1).ToString(System.Globalization.CultureInfo.InvariantCulture));
        return (where.ToString(), [.. parameters]);
    }
}
