using System.Diagnostics.Metrics;
using LeaseBoard.Data;

namespace LeaseBoard.Tests.TestSupport;

/// <summary>
/// Counts what the execution strategy reports on <c>leaseboard.db.transient_retries</c> while it is
/// alive. The meter is process-wide, so tests that read it belong to <see cref="TransientRetryCollection"/>.
/// </summary>
public sealed class TransientRetryCounter : IDisposable
{
    public const string InstrumentName = "leaseboard.db.transient_retries";

    private readonly MeterListener _listener = new();
    private readonly TaskCompletionSource _first = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _count;

    public TransientRetryCounter()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == DatabaseMetrics.MeterName && instrument.Name == InstrumentName)
                listener.EnableMeasurementEvents(instrument);
        };
        _listener.SetMeasurementEventCallback<long>((_, value, _, _) =>
        {
            Interlocked.Add(ref _count, value);
            _first.TrySetResult();
        });
        _listener.Start();
    }

    public long Count => Interlocked.Read(ref _count);

    /// <summary>Completes when the first retry is reported.</summary>
    public Task FirstRetry => _first.Task;

    public void Dispose() => _listener.Dispose();
}

/// <summary>Tests that count retries run alone, so no other test's retries are counted with theirs.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TransientRetryCollection
{
    public const string Name = "Transient retry counting";
}
