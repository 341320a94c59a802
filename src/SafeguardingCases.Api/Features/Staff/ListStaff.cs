using FastEndpoints;
using FluentValidation;
using Marten;
using NodaTime;
using SafeguardingCases.Api.Infrastructure.Http;
using SafeguardingCases.Api.Infrastructure.OpenApi;
using R = SafeguardingCases.Domain.Cases.Roles;

namespace SafeguardingCases.Api.Features.Staff;

public sealed class StaffRequest
{
    /// <summary>Only the member of staff with exactly this sign-in name (none when nobody has signed in as it).</summary>
    public string? Subject { get; set; }
    public int? Limit { get; set; }
    public string? Cursor { get; set; }
}

public sealed class StaffValidator : Validator<StaffRequest>
{
    public StaffValidator()
    {
        RuleFor(x => x.Limit).InclusiveBetween(1, 200);
        RuleFor(x => x.Subject).MaximumLength(200)
            .Must(s => s is null || Infrastructure.Json.StorableStringConverter.IsStorable(s)).WithMessage($"subject {Infrastructure.Json.StorableStringConverter.Message}");
        RuleFor(x => x.Cursor).Must(c => c is null || StaffCursor.Decode(c) is not null).WithMessage("cursor is the next value of a previous page.");
    }
}

/// <summary>A member of staff: sign-in name (what a lead types to allocate a case to them), name and roles as last seen.</summary>
public sealed record StaffView(string Subject, string Name, IReadOnlyList<string> Roles, Instant LastSeenAt);

public sealed record StaffList(IReadOnlyList<StaffView> Items, string? Next);

/// <summary>
/// GET /staff: everyone who has used the API, by sign-in name (cursor paging), so a lead allocating a case, handing
/// cases over or naming staff in a restriction picks a person who exists. Leads only: it is who works here.
/// </summary>
public sealed class ListStaffEndpoint(IQuerySession session) : Endpoint<StaffRequest, StaffList>
{
    public override void Configure()
    {
        Get("/staff");
        Roles(R.SafeguardingLead);
        Description(b => b.Read<StaffList>("Staff",
            "Everyone who has signed in to the API, by sign-in name (cursor paging); subject= asks whether one sign-in name is known", onCase: false),
            clearDefaults: true);
    }

    public override async Task HandleAsync(StaffRequest req, CancellationToken ct)
    {
        var limit = req.Limit ?? 50;
        var after = req.Cursor is null ? null : StaffCursor.Decode(req.Cursor);
        IReadOnlyList<StaffMember> rows = req.Subject is { } subject
            ? await session.LoadAsync<StaffMember>(subject, ct) is { } member ? [member] : []
            : await session.QueryAsync<StaffMember>($"where d.id collate \"C\" > ? order by d.id collate \"C\" limit {limit + 1}", ct, after ?? "");
        var next = rows.Count > limit ? StaffCursor.Encode(rows[limit - 1].Id) : null;
        await EndpointResults.SendJsonAsync(HttpContext,
            new StaffList([.. rows.Take(limit).Select(s => new StaffView(s.Id, s.Name, s.Roles, s.LastSeenAt))], next), StatusCodes.Status200OK);
    }
}

/// <summary>The cursor of the staff list: the last sign-in name of a page, encoded as every cursor is (opaque to clients).</summary>
public static class StaffCursor
{
    public static string Encode(string subject) => Infrastructure.Http.Cursor.Encode(subject);

    public static string? Decode(string cursor) =>
        Infrastructure.Http.Cursor.DecodeText(cursor) is { Length: > 0 and <= 200 } subject && Infrastructure.Json.StorableStringConverter.IsStorable(subject)
            ? subject
            : null;
}
