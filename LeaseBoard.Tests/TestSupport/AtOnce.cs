namespace LeaseBoard.Tests.TestSupport;

/// <summary>
/// Runs work truly at the same time: each part starts on its own thread-pool thread and waits at a barrier
/// until all have arrived. <c>Task.WhenAll(a(), b())</c> is not that: SQLite's async methods complete
/// synchronously, so <c>a()</c> would run to its end before <c>b()</c> even began.
/// </summary>
public static class AtOnce
{
    public static async Task<T[]> RunAsync<T>(params Func<Task<T>>[] parts)
    {
        using var barrier = new Barrier(parts.Length);
        var tasks = parts.Select(part => Task.Run(() =>
        {
            if (!barrier.SignalAndWait(TimeSpan.FromSeconds(30)))
                throw new TimeoutException("The parts of an at-once test did not all start within 30 s.");
            return part();
        })).ToArray();
        return await Task.WhenAll(tasks);
    }

    public static Task RunAsync(params Func<Task>[] parts) =>
        RunAsync(parts.Select(part => (Func<Task<bool>>)(async () => { await part(); return true; })).ToArray());
}
