using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.Extensions.Caching.Memory;

namespace SafeguardingCases.Web.Session;

/// <summary>
/// The console's sessions, in this process's memory: the cookie carries only a random key, the ticket (claims and the
/// access token) stays here and is forgotten when the session ends or sits idle past its expiry. A replica that did not
/// sign a person in does not know them: behind several replicas, route a session to one (the Ingress's cookie affinity).
/// </summary>
public sealed class SessionStore : ITicketStore, IDisposable
{
    private readonly MemoryCache sessions = new(new MemoryCacheOptions { SizeLimit = 10_000 });

    public Task<string> StoreAsync(AuthenticationTicket ticket)
    {
        var key = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        Keep(key, ticket);
        return Task.FromResult(key);
    }

    public Task RenewAsync(string key, AuthenticationTicket ticket)
    {
        Keep(key, ticket);
        return Task.CompletedTask;
    }

    public Task<AuthenticationTicket?> RetrieveAsync(string key) => Task.FromResult(sessions.Get<AuthenticationTicket>(key));

    public Task RemoveAsync(string key)
    {
        sessions.Remove(key);
        return Task.CompletedTask;
    }

    private void Keep(string key, AuthenticationTicket ticket) =>
        sessions.Set(key, ticket, new MemoryCacheEntryOptions
        {
            Size = 1,
            AbsoluteExpiration = ticket.Properties.ExpiresUtc ?? DateTimeOffset.UtcNow.AddMinutes(15),
        });

    public void Dispose() => sessions.Dispose();
}
