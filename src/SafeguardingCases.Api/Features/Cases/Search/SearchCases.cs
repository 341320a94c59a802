using FastEndpoints;
using FluentValidation;
using Mediator;
using SafeguardingCases.Api.Features.Cases.List;
using SafeguardingCases.Api.Infrastructure.Auth;
using SafeguardingCases.Api.Infrastructure.Http;
using SafeguardingCases.Api.Infrastructure.OpenApi;
using R = SafeguardingCases.Domain.Cases.Roles;

namespace SafeguardingCases.Api.Features.Cases.Search;

/// <summary>
/// What to look for: a pseudonymous reference from a channel (a board handle, chat session id or text conversation
/// id), in the request body so it never travels in a URL (proxies, access logs and browser history keep URLs).
/// </summary>
public sealed class SearchCasesRequest
{
    /// <summary>The reference, as the channel shows it; compared without regard to case, surrounding spaces or Unicode form.</summary>
    public string Reference { get; set; } = "";
    public int? Limit { get; set; }
    public string? Cursor { get; set; }
}

public sealed class SearchCasesValidator : Validator<SearchCasesRequest>
{
    public SearchCasesValidator()
    {
        RuleFor(x => x.Reference).NotEmpty().MaximumLength(Shared.TextLimits.Reference)
            .Must(r => ReferenceIndex.Normalise(r).Length > 0).WithMessage("reference must have a character that is not a space.");
        RuleFor(x => x.Limit).InclusiveBetween(1, ListCasesValidator.MaxLimit);
        RuleFor(x => x.Cursor).Must(c => c is null || Infrastructure.Http.Cursor.Decode(c) is not null).WithMessage("cursor is the next value of a previous page.");
    }
}

/// <summary>
/// POST /cases/search: the cases whose service user, or whose case or any disclosure came from the channel, has this
/// reference; most recently changed first, cursor-paged like the case list. Finds whether a young person is already
/// known before a second case is opened for them. Every reference is sealed under its case's key (PRIVACY-AT-REST),
/// so PostgreSQL cannot compare them: each list row carries a keyed blind index of its references
/// (<see cref="ReferenceIndex"/>), and the search looks up the index value of the reference it was given. A restricted
/// case shows only to the staff it names (NEED-TO-KNOW); every case shown is in the access log.
/// </summary>
public sealed class SearchCasesEndpoint(ISender sender) : Endpoint<SearchCasesRequest, CaseList>, ILogsCaseAccess
{
    public override void Configure()
    {
        Post("/cases/search");
        Roles(R.SafeguardingOfficer, R.Clinician, R.SafeguardingLead);
        Description(b => b.ReadByPost<SearchCasesRequest, CaseList>("Cases", "Find the cases of a reference (a board handle, chat session id or text conversation id)")
            .Produces<Problem>(413, Problems.ContentType), clearDefaults: true);
    }

    public override async Task HandleAsync(SearchCasesRequest req, CancellationToken ct)
    {
        // The case list, by last change, with one more filter: paging and cursors are the list's own.
        var found = await sender.Send(new ListCasesQuery(User.ToActor(), null, null, null, null, req.Limit ?? 50,
            req.Cursor is null ? null : Infrastructure.Http.Cursor.Decode(req.Cursor), 0, false, req.Reference), ct);
        CaseAccessFeature.Of(HttpContext)?.Shown.AddRange(found.Items.Select(i => i.Id));
        await EndpointResults.SendJsonAsync(HttpContext, found, StatusCodes.Status200OK);
    }
}
