using BenchmarkDotNet.Running;

// Run: dotnet run -c Release --project tests/SafeguardingCases.Benchmarks -- --filter '*'
BenchmarkSwitcher.FromAssembly(typeof(SafeguardingCases.Benchmarks.PolicyEvaluateBenchmark).Assembly).Run(args);
