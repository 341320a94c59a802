using BenchmarkDotNet.Running;

namespace SafeguardingCases.Benchmarks;

/// <summary>
/// dotnet run -c Release --project tests/SafeguardingCases.Benchmarks -- --filter '*'
/// (PolicyEvaluateBenchmark needs nothing; HistoryBenchmark starts a throwaway PostgreSQL like the tests do.)
/// dotnet run -c Release --project tests/SafeguardingCases.Benchmarks -- write (the write path under HTTP load).
/// dotnet run -c Release --project tests/SafeguardingCases.Benchmarks -- reads [--sizes 10000,100000,1000000] (reads at scale).
/// </summary>
public static class BenchmarkEntry
{
    public static async Task<int> Main(string[] args)
    {
        if (args is ["write", ..]) return await WriteBenchmark.RunAsync(args[1..]);
        if (args is ["minimal-endpoint", ..]) return await MinimalEndpoint.RunAsync(args[1..]);
        if (args is ["ledger", ..]) return await LedgerBenchmark.RunAsync(args[1..]);
        if (args is ["reads", ..]) return await ScaleBenchmark.RunAsync(args[1..]);
        BenchmarkSwitcher.FromAssembly(typeof(BenchmarkEntry).Assembly).Run(args);
        return 0;
    }
}
