namespace LeaseBoard.Tests.Benchmarks;

/// <summary>
/// Benchmarks print figures; they are not timed unit tests and do not run in the normal suite.
/// Run them with <c>LEASEBOARD_BENCHMARKS=1 dotnet test --filter Category=Benchmark --logger "console;verbosity=detailed"</c>.
/// </summary>
public sealed class BenchmarkFactAttribute : FactAttribute
{
    public BenchmarkFactAttribute()
    {
        if (Environment.GetEnvironmentVariable("LEASEBOARD_BENCHMARKS") != "1")
            Skip = "Benchmark: set LEASEBOARD_BENCHMARKS=1 to run it (it prints figures, it asserts only sanity).";
    }
}

public static class Figures
{
    public static string Summary(IReadOnlyCollection<double> values, string unit)
    {
        var sorted = values.OrderBy(v => v).ToArray();
        double At(double q) => sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(q * sorted.Length) - 1)];
        return $"n={sorted.Length} median={At(0.5):0.##}{unit} p95={At(0.95):0.##}{unit} max={sorted[^1]:0.##}{unit} min={sorted[0]:0.##}{unit}";
    }
}
