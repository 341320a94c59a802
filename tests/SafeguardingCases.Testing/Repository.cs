namespace SafeguardingCases.Testing;

/// <summary>Where the repository is, for tests and benchmarks that read its files or host the API from its sources.</summary>
public static class Repository
{
    /// <summary>The folder holding <c>SafeguardingCases.sln</c>, found upwards from the running assembly.</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>The API project's folder: its content root (appsettings) when a benchmark hosts it in process.</summary>
    public static string ApiContentRoot => Path.Combine(Root, "src", "SafeguardingCases.Api");

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "SafeguardingCases.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("Could not find the repository root (SafeguardingCases.sln); run from inside the repository.");
    }
}
