using BenchmarkDotNet.Running;

namespace SafeguardingCases.Benchmarks;

/// <summary>
/// dotnet run -c Release --project tests/SafeguardingCases.Benchmarks -- --filter '*'
/// (PolicyEvaluateBenchmark needs nothing; HistoryBenchmark starts a throwaway PostgreSQL like the tests do.)
/// </summary>
public static class BenchmarkEntry
{
    public static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(BenchmarkEntry).Assembly).Run(args);
}
