using LeaseBoard.Data;
using LeaseBoard.Domain;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace LeaseBoard.Features.Telemetry;

/// <summary>
/// <c>leaseboard.queue.length</c>: the queue entries waiting, across every instance on the database. A scrape reads the
/// count at most every <see cref="TelemetryOptions.QueueLengthCacheFor"/> (one count of the waiting entries, two seconds at most) and
/// otherwise answers from memory; if the database does not answer, the last count is reported, or none before the first.
/// </summary>
public sealed partial class QueueLengthGauge
{
    private static readonly TimeSpan QueryTimeout = TimeSpan.FromSeconds(2);

    private readonly IDbContextFactory<LeaseBoardDb> _dbs;
    private readonly TimeProvider _clock;
    private readonly IOptionsMonitor<TelemetryOptions> _options;
    private readonly ILogger<QueueLengthGauge> _logger;
    private readonly Lock _lock = new();
    private (int Count, DateTimeOffset At)? _last;

    public QueueLengthGauge(LeaseBoardTelemetry telemetry, IDbContextFactory<LeaseBoardDb> dbs, TimeProvider clock, IOptionsMonitor<TelemetryOptions> options,
        ILogger<QueueLengthGauge> logger)
    {
        (_dbs, _clock, _options, _logger) = (dbs, clock, options, logger);
        telemetry.Meter.CreateObservableGauge("leaseboard.queue.length", Observe, "{entry}", "Queue entries waiting for a gap.");
    }

    /// <summary>How many times the count was read from the database (tests).</summary>
    public int Reads { get; private set; }

    private IEnumerable<System.Diagnostics.Metrics.Measurement<int>> Observe()
    {
        if (Current() is { } count) yield return new(count);
    }

    /// <summary>The waiting entries, from memory while fresh enough (the gauge's callback is synchronous; so is the count).</summary>
    public int? Current()
    {
        lock (_lock)
        {
            var now = _clock.GetUtcNow();
            if (_last is { } last && now - last.At < _options.CurrentValue.QueueLengthCacheFor) return last.Count;
            try
            {
                using var db = _dbs.CreateDbContext();
                db.Database.SetCommandTimeout(QueryTimeout);
                var count = db.QueueEntries.Count(e => e.State == QueueEntryState.Waiting);
                Reads++;
                _last = (count, now);
                return count;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                LogCountFailed(e);
                if (_last is { } stale) _last = (stale.Count, now); // do not retry on every scrape while the database is down
                return _last?.Count;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not count the waiting queue entries for the metrics")]
    private partial void LogCountFailed(Exception exception);
}
