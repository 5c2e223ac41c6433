using System.Diagnostics.Metrics;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace LeaseBoard.Data;

/// <summary>
/// SQLite's counterpart of SQL Server's retrying strategy: a serializable transaction takes the write
/// lock at once, so a second writer may get SQLITE_BUSY / SQLITE_LOCKED; the whole unit is retried.
/// </summary>
public sealed class SqliteBusyRetryStrategy(ExecutionStrategyDependencies dependencies)
    : ExecutionStrategy(dependencies, maxRetryCount: 8, maxRetryDelay: TimeSpan.FromSeconds(1))
{
    private const int SqliteBusy = 5;
    private const int SqliteLocked = 6;

    protected override bool ShouldRetryOn(Exception exception)
    {
        var retry = exception is SqliteException { SqliteErrorCode: SqliteBusy or SqliteLocked };
        if (retry) DatabaseMetrics.TransientRetries.Add(1);
        return retry;
    }
}

/// <summary>Counters the concurrency test and benchmarks read through a <see cref="MeterListener"/>.</summary>
public static class DatabaseMetrics
{
    public const string MeterName = "LeaseBoard.Database";
    private static readonly Meter Meter = new(MeterName);
    public static readonly Counter<long> TransientRetries = Meter.CreateCounter<long>("leaseboard.db.transient_retries");
}
