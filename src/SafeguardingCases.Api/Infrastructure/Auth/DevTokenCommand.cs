using SafeguardingCases.Domain.Cases;

namespace SafeguardingCases.Api.Infrastructure.Auth;

/// <summary>
/// <c>dotnet SafeguardingCases.Api.dll dev-token ROLE [ROLE...] [--sub ID] [--name NAME] [--hours N]</c> (deploy/dev-token.sh):
/// prints a development token signed with <c>Auth__DevSigningKey</c>.
/// </summary>
public static class DevTokenCommand
{
    public static int Run(string[] args)
    {
        // The settings next to the built API (appsettings.Development.json is copied there), wherever it is run from.
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        var key = builder.Configuration[$"{AuthOptions.SectionName}:{nameof(AuthOptions.DevSigningKey)}"];
        if (string.IsNullOrWhiteSpace(key))
        {
            Console.Error.WriteLine("Auth__DevSigningKey is not set (it is in appsettings.Development.json; run with ASPNETCORE_ENVIRONMENT=Development).");
            return 2;
        }

        var roles = new List<string>();
        string? sub = null, name = null;
        var hours = 8;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--sub" when i + 1 < args.Length: sub = args[++i]; break;
                case "--name" when i + 1 < args.Length: name = args[++i]; break;
                case "--hours" when i + 1 < args.Length && int.TryParse(args[i + 1], out var h) && h is > 0 and <= 12: hours = h; i++; break;
                case "--hours":
                    Console.Error.WriteLine("--hours takes 1 to 12: a development token lives at most 12 hours.");
                    return 2;
                default:
                    var role = Roles.All.FirstOrDefault(r => string.Equals(r, args[i], StringComparison.OrdinalIgnoreCase));
                    if (role is null)
                    {
                        Console.Error.WriteLine($"Unknown role '{args[i]}'. Roles: {string.Join(", ", Roles.All)}.");
                        return 2;
                    }
                    roles.Add(role);
                    break;
            }
        }
        if (roles.Count == 0)
        {
            Console.Error.WriteLine($"Usage: dev-token ROLE [ROLE...] [--sub ID] [--name NAME] [--hours N]. Roles: {string.Join(", ", Roles.All)}.");
            return 2;
        }

        sub ??= $"dev-{roles[0].ToLowerInvariant()}";
        name ??= $"Dev {roles[0]}";
        Console.WriteLine(DevTokens.Mint(key, sub, name, roles, TimeSpan.FromHours(hours)));
        return 0;
    }
}
