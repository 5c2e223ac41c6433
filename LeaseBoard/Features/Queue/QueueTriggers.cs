using LeaseBoard.Domain;
using LeaseBoard.Features.LiveUpdates;

namespace LeaseBoard.Features.Queue;

/// <summary>
/// Runs a placement pass when time may have come free — a reservation cancelled, released, ended early, missed or
/// force-released, an environment back to Available (after a cleanup or from quarantine) — and when an entry is
/// queued. Only this instance's events: the instance where a change happened places for it (the supervise beat is the
/// backstop on every instance). Passes run off the publisher's path and one at a time (see <see cref="QueuePlacer"/>).
/// </summary>
public sealed partial class QueueTriggers(BoardEvents events, QueuePlacer placer, ILogger<QueueTriggers> logger) : BoardEventSubscriber(events)
{
    public static bool Triggers(BoardEvent boardEvent) => boardEvent switch
    {
        { IsLocal: false } => false,
        ReservationChanged { Change: ReservationChange.Cancelled or ReservationChange.CancelledByOther or ReservationChange.Released
            or ReservationChange.Ended or ReservationChange.ForceReleased or ReservationChange.Missed } => true,
        EnvironmentChanged { State: EnvironmentState.Available } => true,
        QueueChanged { State: QueueEntryState.Waiting } => true,
        _ => false,
    };

    protected override Task OnEventAsync(BoardEvent boardEvent)
    {
        if (Triggers(boardEvent)) _ = Task.Run(PassAsync);
        return Task.CompletedTask;
    }

    private async Task PassAsync()
    {
        try
        {
            await placer.RunPassAsync(CancellationToken.None);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            LogFailed(e); // the next trigger or supervise beat tries again
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "A queue placement pass failed")]
    private partial void LogFailed(Exception exception);
}
