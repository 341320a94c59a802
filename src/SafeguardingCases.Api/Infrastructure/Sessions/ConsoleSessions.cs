using System.Security.Cryptography;
using System.Text;
using System.Xml.Linq;
using Marten;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.AspNetCore.DataProtection.XmlEncryption;
using Microsoft.Extensions.Caching.Memory;
using Npgsql;
using SafeguardingCases.Api.Infrastructure.Configuration;
using SafeguardingCases.Api.Infrastructure.Persistence;
using SafeguardingCases.Api.Infrastructure.Privacy;

namespace SafeguardingCases.Api.Infrastructure.Sessions;

/// <summary>A staff member's console session: its ticket (claims and access token), protected, until it lapses.</summary>
public sealed class ConsoleSession
{
    /// <summary>SHA-256 of the key the browser's cookie carries (hex), so a row cannot be turned back into a cookie.</summary>
    public string Id { get; set; } = "";

    /// <summary>The ticket, serialised and protected by the shared data protection key ring (base64).</summary>
    public string Ticket { get; set; } = "";

    public long ExpiresAtUnixMs { get; set; }
}

/// <summary>One key of ASP.NET's data protection key ring, its secret sealed under the key-encryption key.</summary>
public sealed class DataProtectionKey
{
    public string Id { get; set; } = "";
    public string Xml { get; set; } = "";
}

/// <summary>
/// The console's sessions and ASP.NET's data protection key ring (the session cookie, antiforgery tokens, sign-in's
/// state and the export links are protected with it) in PostgreSQL, which every instance shares, instead of each
/// process's memory: a session lives through a restart, a rolling deploy and an autoscaler's scale-down, and any
/// instance can serve it. Before, each pod had a key ring of its own, so a person was signed out whenever the pod
/// holding their session went away, and every instance but that one refused their forms. The keys' secrets are sealed
/// (AES-256-GCM) under a key derived from the key-encryption key at <c>Privacy__KeyPath</c>, which never reaches the
/// database, so whoever reads the tables can neither open a session's access token nor forge a cookie.
/// </summary>
public static partial class ConsoleSessions
{
    public const string ApplicationName = "SafeguardingCases";

    public static IServiceCollection AddSharedConsoleSessions(this IServiceCollection services, byte[] keyEncryptionKey, byte[]? previousKeyEncryptionKey)
    {
        var sealing = new KeySealing(keyEncryptionKey, previousKeyEncryptionKey);
        services.AddSingleton(sealing);
        // The same application name everywhere: by default it is the content root, which differs between a published
        // image and a build, and payloads protected under one name do not open under another.
        services.AddDataProtection().SetApplicationName(ApplicationName);
        services.AddSingleton<Tables>();
        services.AddOptions<KeyManagementOptions>().Configure<NpgsqlDataSource, Tables>((o, db, tables) =>
        {
            o.XmlRepository = new KeyRepository(db, tables);
            o.XmlEncryptor = new SealedXmlEncryptor(sealing);
        });
        services.AddSingleton<ITicketStore, SharedTicketStore>();
        // Data protection reads its key ring as the host starts (a hosted service of its own, registered with the
        // console's antiforgery, ahead of Marten's schema step): moved behind it, or on a new database it reads a table
        // not made yet and logs an error.
        foreach (var warmUp in services.Where(d => d.ServiceType == typeof(IHostedService) && d.ImplementationType?.Name == "DataProtectionHostedService").ToList())
        {
            services.Remove(warmUp);
            services.Add(warmUp);
        }
        return services;
    }

    /// <summary>The key that seals data protection keys: its own, derived from the key-encryption key (and the one before a rotation).</summary>
    public sealed class KeySealing(byte[] keyEncryptionKey, byte[]? previousKeyEncryptionKey)
    {
        private static readonly byte[] Purpose = Encoding.ASCII.GetBytes("SafeguardingCases data protection keys v1");

        public byte[] Current { get; } = Derive(keyEncryptionKey);
        public byte[]? Previous { get; } = previousKeyEncryptionKey is null ? null : Derive(previousKeyEncryptionKey);

        private static byte[] Derive(byte[] kek) => HKDF.DeriveKey(HashAlgorithmName.SHA256, kek, 32, info: Purpose);
    }

    /// <summary>The table of <see cref="DataProtectionKey"/> documents (also read by <c>rewrap-keys</c>, which has no store).</summary>
    public const string KeysTable = "public.mt_doc_dataprotectionkey";

    /// <summary>The tables Marten's schema tooling made for these documents (db-apply, or at start-up in Development).</summary>
    public sealed class Tables
    {
        public Tables(IDocumentStore store)
        {
            Sessions = store.Options.FindOrResolveDocumentType(typeof(ConsoleSession)).TableName.QualifiedName;
            var keys = store.Options.FindOrResolveDocumentType(typeof(DataProtectionKey)).TableName.QualifiedName;
            if (keys != KeysTable) throw new StartupRefusedException($"Marten keeps data protection keys in {keys}, not {KeysTable}: change ConsoleSessions.KeysTable.");
        }

        public string Sessions { get; }

        /// <summary><see cref="KeysTable"/>, which the constructor checked against Marten's mapping.</summary>
        public string Keys => KeysTable;
    }

    /// <summary>
    /// For <c>rewrap-keys</c>: a data protection key's XML with its secret sealed again under the new key-encryption
    /// key, or null when the new key already opens it; throws when neither key does.
    /// </summary>
    public static string? Rewrapped(string xml, byte[] oldKek, byte[] newKek)
    {
        var (older, newer) = (new KeySealing(oldKek, null).Current, new KeySealing(newKek, null).Current);
        var key = XElement.Parse(xml);
        var sealedSecret = key.Descendants(Sealed).Single();
        if (CaseKeyRing.Unwrap(newer, sealedSecret.Value) is not null) return null;
        var secret = CaseKeyRing.Unwrap(older, sealedSecret.Value)
            ?? throw new InvalidOperationException($"data protection key {key.Attribute("id")?.Value} is sealed by neither key.");
        sealedSecret.Value = CaseKeyRing.Wrap(newer, secret);
        return key.ToString(SaveOptions.DisableFormatting);
    }

    /// <summary>
    /// Data protection asks for its keys synchronously and rarely: at the first protection after a start, then about
    /// once a day, and when it makes a key (every 90 days). Read and written with Npgsql's synchronous calls, not
    /// through a Marten session: Marten 9 is asynchronous only, and in Development its first use of a document type
    /// checks the table, which, tried while PostgreSQL was down, left every later page waiting on it.
    /// </summary>
    private sealed class KeyRepository(NpgsqlDataSource db, Tables tables) : IXmlRepository
    {
        public IReadOnlyCollection<XElement> GetAllElements()
        {
            using var command = db.CreateCommand($"select data ->> 'xml' from {tables.Keys}");
            using var reader = command.ExecuteReader();
            var keys = new List<XElement>();
            while (reader.Read()) keys.Add(XElement.Parse(reader.GetString(0)));
            return keys;
        }

        public void StoreElement(XElement element, string friendlyName)
        {
            using var command = db.CreateCommand(
                $"insert into {tables.Keys} (id, data, mt_dotnet_type) values ($1, jsonb_build_object('id', $1, 'xml', $2::text), $3) on conflict (id) do nothing");
            command.Parameters.AddWithValue(friendlyName);
            command.Parameters.AddWithValue(element.ToString(SaveOptions.DisableFormatting));
            command.Parameters.AddWithValue(typeof(DataProtectionKey).FullName!);
            command.ExecuteNonQuery();
        }
    }

    private static readonly XName Sealed = "sealed";

    private sealed class SealedXmlEncryptor(KeySealing sealing) : IXmlEncryptor
    {
        public EncryptedXmlInfo Encrypt(XElement plaintextElement) => new(
            new XElement(Sealed, CaseKeyRing.Wrap(sealing.Current, Encoding.UTF8.GetBytes(plaintextElement.ToString(SaveOptions.DisableFormatting)))),
            typeof(SealedXmlDecryptor));
    }

    /// <summary>Made by data protection from the type name stored with each key, with the application's services.</summary>
    public sealed class SealedXmlDecryptor(IServiceProvider services) : IXmlDecryptor
    {
        public XElement Decrypt(XElement encryptedElement)
        {
            var sealing = services.GetRequiredService<KeySealing>();
            var bytes = CaseKeyRing.Unwrap(sealing.Current, encryptedElement.Value)
                ?? (sealing.Previous is { } previous ? CaseKeyRing.Unwrap(previous, encryptedElement.Value) : null)
                ?? throw new CryptographicException("This data protection key was sealed under a key-encryption key this instance does not have.");
            return XElement.Parse(Encoding.UTF8.GetString(bytes));
        }
    }

    /// <summary>
    /// The cookie handler's session store. Every instance reads a session from PostgreSQL, so a sign-out anywhere ends
    /// it everywhere. This instance also keeps the sessions it has served in memory, for one case only: PostgreSQL
    /// unreachable, when a page can still say the service cannot reach its database instead of signing everyone out.
    /// </summary>
    private sealed partial class SharedTicketStore(NpgsqlDataSource db, Tables tables, IDataProtectionProvider protection, ILogger<SharedTicketStore> logger) : ITicketStore, IDisposable
    {
        private readonly IDataProtector protector = protection.CreateProtector("SafeguardingCases.Console.Session.v1");
        private readonly MemoryCache served = new(new MemoryCacheOptions { SizeLimit = 10_000 });

        public async Task<string> StoreAsync(AuthenticationTicket ticket)
        {
            var key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
            await KeepAsync(key, ticket, sweep: true);
            return key;
        }

        public Task RenewAsync(string key, AuthenticationTicket ticket) => KeepAsync(key, ticket, sweep: false);

        public async Task<AuthenticationTicket?> RetrieveAsync(string key)
        {
            (string Ticket, long ExpiresAtUnixMs)? row = null;
            try
            {
                await using var command = db.CreateCommand($"select data ->> 'ticket', (data ->> 'expiresAtUnixMs')::bigint from {tables.Sessions} where id = $1");
                command.Parameters.AddWithValue(IdOf(key));
                await using var reader = await command.ExecuteReaderAsync();
                if (await reader.ReadAsync()) row = (reader.GetString(0), reader.GetInt64(1));
            }
            catch (Exception e) when (DatabaseFailures.IsTransient(e))
            {
                return served.Get<Served>(key)?.Ticket;
            }
            if (row is null && served.Get<Served>(key) is { Written: false } unwritten)
            {
                // Signed in while PostgreSQL was unreachable: written now it is back.
                await KeepAsync(key, unwritten.Ticket, sweep: false);
                return unwritten.Ticket;
            }
            if (row is not { } found || found.ExpiresAtUnixMs <= DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() || Open(found.Ticket) is not { } ticket)
            {
                served.Remove(key);
                return null;
            }
            Remember(key, ticket, written: true);
            return ticket;
        }

        public async Task RemoveAsync(string key)
        {
            served.Remove(key);
            try
            {
                await using var command = db.CreateCommand($"delete from {tables.Sessions} where id = $1");
                command.Parameters.AddWithValue(IdOf(key));
                await command.ExecuteNonQueryAsync();
            }
            catch (Exception e) when (DatabaseFailures.IsTransient(e))
            {
                // The browser's cookie is deleted all the same; the row lapses at its idle expiry.
                LogNotRemoved(logger);
            }
        }

        private async Task KeepAsync(string key, AuthenticationTicket ticket, bool sweep)
        {
            var expires = ExpiryOf(ticket).ToUnixTimeMilliseconds();
            try
            {
                // Each sign-in also clears the sessions that have lapsed (idle past Console__IdleTimeout, never signed out).
                await using var batch = db.CreateBatch();
                var upsert = new NpgsqlBatchCommand(
                    $"insert into {tables.Sessions} (id, data, mt_dotnet_type) values ($1, jsonb_build_object('id', $1, 'ticket', $2::text, 'expiresAtUnixMs', $3::bigint), $4) " +
                    "on conflict (id) do update set data = excluded.data, mt_last_modified = transaction_timestamp()");
                upsert.Parameters.Add(new NpgsqlParameter { Value = IdOf(key) });
                upsert.Parameters.Add(new NpgsqlParameter { Value = Convert.ToBase64String(protector.Protect(TicketSerializer.Default.Serialize(ticket))) });
                upsert.Parameters.Add(new NpgsqlParameter { Value = expires });
                upsert.Parameters.Add(new NpgsqlParameter { Value = typeof(ConsoleSession).FullName! });
                batch.BatchCommands.Add(upsert);
                if (sweep)
                {
                    var lapsed = new NpgsqlBatchCommand($"delete from {tables.Sessions} where (data ->> 'expiresAtUnixMs')::bigint < $1");
                    lapsed.Parameters.Add(new NpgsqlParameter { Value = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() });
                    batch.BatchCommands.Add(lapsed);
                }
                await batch.ExecuteNonQueryAsync();
                Remember(key, ticket, written: true);
            }
            catch (Exception e) when (DatabaseFailures.IsTransient(e))
            {
                // Kept in this instance's memory only, and written at its next request with PostgreSQL back.
                Remember(key, ticket, written: false);
                LogNotStored(logger);
            }
        }

        private AuthenticationTicket? Open(string protectedTicket)
        {
            try
            {
                return TicketSerializer.Default.Deserialize(protector.Unprotect(Convert.FromBase64String(protectedTicket)));
            }
            catch (Exception e) when (e is CryptographicException or FormatException)
            {
                // Protected under a key no longer in the ring (sealed under a key-encryption key since retired): ended.
                return null;
            }
        }

        private void Remember(string key, AuthenticationTicket ticket, bool written) =>
            served.Set(key, new Served(ticket, written), new MemoryCacheEntryOptions { Size = 1, AbsoluteExpiration = ExpiryOf(ticket) });

        private sealed record Served(AuthenticationTicket Ticket, bool Written);

        private static DateTimeOffset ExpiryOf(AuthenticationTicket ticket) => ticket.Properties.ExpiresUtc ?? DateTimeOffset.UtcNow.AddMinutes(15);

        private static string IdOf(string key) => Convert.ToHexString(SHA256.HashData(Encoding.ASCII.GetBytes(key)));

        public void Dispose() => served.Dispose();

        [LoggerMessage(Level = LogLevel.Warning, Message = "A console session could not be written to PostgreSQL; this instance holds it until PostgreSQL is back")]
        private static partial void LogNotStored(ILogger logger);

        [LoggerMessage(Level = LogLevel.Warning, Message = "A signed-out console session could not be deleted from PostgreSQL; it lapses at its idle expiry")]
        private static partial void LogNotRemoved(ILogger logger);
    }
}
