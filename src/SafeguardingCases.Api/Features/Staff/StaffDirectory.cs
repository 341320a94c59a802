using System.Collections.Concurrent;
using System.Security.Claims;
using Marten;
using NodaTime;
using SafeguardingCases.Api.Infrastructure.Auth;

namespace SafeguardingCases.Api.Features.Staff;

/// <summary>
/// A member of staff as their token last said: sign-in name (the token's subject: what a lead types to allocate a case
/// or name someone in a restriction), name and roles. Staff, not the people cases are about: nothing here is sealed.
/// </summary>
public sealed class StaffMember
{
    /// <summary>The token's subject.</summary>
    public string Id { get; set; } = "";
    public string Name { get; set; } = "";
    public string[] Roles { get; set; } = [];
    public Instant LastSeenAt { get; set; }
}

/// <summary>
/// Who has used the API: each signed-in caller recorded the first time this process sees them, again when their name or
/// roles change and at most once an hour otherwise, so leads can pick the person they mean instead of typing a sign-in
/// name nothing checks (a typing mistake allocates a case to nobody). Recorded beside the request, never in its way:
/// the request does not wait, and a database that cannot take it loses the record until the person's next request.
/// </summary>
public sealed class StaffDirectory(IDocumentStore store, IClock clock, ILogger<StaffDirectory> logger)
{
    /// <summary>How long a recorded caller is not recorded again (their last-seen instant is that coarse).</summary>
    public static readonly TimeSpan RecordEvery = TimeSpan.FromHours(1);

    private readonly ConcurrentDictionary<string, (string Said, long At)> recorded = new(StringComparer.Ordinal);

    /// <summary>Notes a signed-in caller; returns the write, if one was started (tests wait for it).</summary>
    public Task? Notice(ClaimsPrincipal user)
    {
        if (user.Identity?.IsAuthenticated != true || user.FindFirst("sub")?.Value is not { Length: > 0 }) return null;
        var actor = user.ToActor();
        var said = $"{actor.Name}\n{string.Join(',', actor.Roles)}";
        var now = Environment.TickCount64;
        var seen = recorded.TryGetValue(actor.Subject, out var before);
        if (seen && before.Said == said && now - before.At < RecordEvery.TotalMilliseconds) return null;
        // One write per caller at a time: whoever swaps the entry in writes it.
        if (seen ? !recorded.TryUpdate(actor.Subject, (said, now), before) : !recorded.TryAdd(actor.Subject, (said, now))) return null;
        return Task.Run(async () =>
        {
            try
            {
                await using var session = store.LightweightSession();
                session.Store(new StaffMember { Id = actor.Subject, Name = actor.Name, Roles = [.. actor.Roles], LastSeenAt = clock.GetCurrentInstant() });
                await session.SaveChangesAsync();
            }
            catch (Exception e)
            {
                // Tried again on their next request. Only the kind of failure: a subject or name is personal.
                recorded.TryRemove(new KeyValuePair<string, (string, long)>(actor.Subject, (said, now)));
                logger.LogWarning("Could not record a member of staff in the directory ({Error}); their next request tries again", e.GetType().Name);
            }
        });
    }
}

public static class StaffDirectorySetup
{
    /// <summary>After authentication: every signed-in call to the API notes its caller in the directory.</summary>
    public static IApplicationBuilder UseStaffDirectory(this IApplicationBuilder app)
    {
        var directory = app.ApplicationServices.GetRequiredService<StaffDirectory>();
        return app.Use((context, next) =>
        {
            if (context.Request.Path.StartsWithSegments("/api", StringComparison.Ordinal)) directory.Notice(context.User);
            return next(context);
        });
    }
}
