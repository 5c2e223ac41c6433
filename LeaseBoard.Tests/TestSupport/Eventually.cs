using System.Diagnostics;

namespace LeaseBoard.Tests.TestSupport;

/// <summary>Waits for a condition with a deadline, polling briefly: no fixed sleeps in tests.</summary>
public static class Eventually
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(20);

    public static Task TrueAsync(Func<bool> condition, TimeSpan timeout, string? what = null) =>
        MatchesAsync(() => Task.FromResult(condition()), met => met, timeout, what);

    /// <summary>Probes until <paramref name="until"/> holds and returns that value; fails with the last value seen.</summary>
    public static Task<T> MatchesAsync<T>(Func<Task<T>> probe, Func<T, bool> until, TimeSpan timeout, string? what = null) =>
        MatchesAsync(probe, until, timeout, PollInterval, what);

    /// <summary>The same, probing every <paramref name="pollInterval"/> (for probes that cost something, like an HTTP call).</summary>
    public static async Task<T> MatchesAsync<T>(Func<Task<T>> probe, Func<T, bool> until, TimeSpan timeout, TimeSpan pollInterval, string? what = null)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var value = await probe();
            if (until(value)) return value;
            if (clock.Elapsed > timeout)
                throw new TimeoutException($"{what ?? "The condition"} did not hold within {timeout.TotalSeconds:0.#} s; last value: {value}");
            await Task.Delay(pollInterval);
        }
    }
}
