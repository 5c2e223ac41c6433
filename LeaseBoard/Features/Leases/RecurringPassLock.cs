using Hangfire;
using Hangfire.Storage;

namespace LeaseBoard.Features.Leases;

/// <summary>
/// Keeps a recurring pass from overlapping itself, on this instance and across instances sharing the job storage.
/// A pass that finds the previous one still running is skipped and ends Succeeded: it is recurring, the next one
/// comes within seconds. Hangfire's <see cref="DisableConcurrentExecutionAttribute"/> waited for the lock instead and,
/// after its timeout, failed the job — with retries off, a Failed job every few seconds while the framework was slow.
/// The lock is the job storage's distributed lock (sp_getapplock on SQL Server, the in-memory storage's own lock),
/// tried once with a zero timeout and held for the whole pass. A per-process semaphore would be simpler but would let
/// two instances on one SQL Server run the same pass at once.
/// </summary>
public sealed partial class RecurringPassLock(JobStorage storage, ILogger<RecurringPassLock> logger)
{
    /// <summary>Runs <paramref name="pass"/> under the lock on <paramref name="resource"/>; false when it was skipped.</summary>
    public async Task<bool> RunAsync(string resource, Func<Task> pass)
    {
        using var connection = storage.GetConnection();
        IDisposable held;
        try
        {
            held = connection.AcquireDistributedLock(resource, TimeSpan.Zero);
        }
        catch (DistributedLockTimeoutException)
        {
            LogSkipped(resource);
            return false;
        }
        using (held) await pass();
        return true;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Resource} skipped: the previous pass is still running")]
    private partial void LogSkipped(string resource);
}
