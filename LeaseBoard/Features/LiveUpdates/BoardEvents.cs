using System.Collections.Immutable;
using System.Text.Json.Serialization;
using LeaseBoard.Domain;

namespace LeaseBoard.Features.LiveUpdates;

/// <summary>Something on the board changed; subscribers re-read what they show.</summary>
/// <remarks>
/// <see cref="Origin"/> is null for an event published by this instance and holds the publishing
/// instance's id for one relayed from another instance (Redis), so relays never send it back out.
/// </remarks>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "type")]
[JsonDerivedType(typeof(ReservationChanged), "reservation")]
[JsonDerivedType(typeof(EnvironmentChanged), "environment")]
[JsonDerivedType(typeof(RunProgressed), "run")]
[JsonDerivedType(typeof(NotificationsChanged), "notifications")]
[JsonDerivedType(typeof(ApiTokenRevoked), "token-revoked")]
[JsonDerivedType(typeof(QueueChanged), "queue")]
public abstract record BoardEvent
{
    public string? Origin { get; init; }

    [JsonIgnore]
    public bool IsLocal => Origin is null;
}

public sealed record ReservationChanged(int ReservationId, int EnvironmentId, ReservationState State, ReservationChange Change) : BoardEvent;

/// <summary>What happened to a reservation: the words the lease engine, booking and notifications share.</summary>
public enum ReservationChange
{
    Booked, Moved, Cancelled, CancelledByOther, Released,
    Started, Missed, Ended, ForceReleased,
    /// <summary>Moved off an environment going out of service or into maintenance.</summary>
    Relocated,
    /// <summary>Its environment went out of service (or failed its readiness check) and no other was free for its slot.</summary>
    AtRisk,
    /// <summary>It was at risk from a readiness check, and its environment passed a later one.</summary>
    AtRiskCleared,
}

public sealed record EnvironmentChanged(int EnvironmentId, string EnvironmentKey, EnvironmentState State, HealthStatus Health) : BoardEvent
{
    public static EnvironmentChanged Of(TestEnvironment environment) => new(environment.Id, environment.Key, environment.State, environment.Health);
}

public sealed record RunProgressed(int ReservationId, int EnvironmentId, int ProgressPercent, TestRunState State) : BoardEvent;

/// <summary>A user has new or changed notifications: their bell re-reads its count (on whichever instance it is open).</summary>
public sealed record NotificationsChanged(string UserId) : BoardEvent;

/// <summary>A queue entry was added, placed, expired or cancelled: queue panels and the wall re-read the queue.</summary>
public sealed record QueueChanged(int EntryId, string OwnerId, QueueEntryState State, int? ReservationId = null) : BoardEvent;

/// <summary>A personal access token was revoked: every instance forgets the validation it keeps of it.</summary>
public sealed record ApiTokenRevoked(string Prefix) : BoardEvent;

/// <summary>
/// The in-process publisher of board events. Handlers must not block: Blazor components hand the
/// event to their circuit with <c>InvokeAsync</c> and return.
/// </summary>
public sealed partial class BoardEvents(ILogger<BoardEvents> logger)
{
    private ImmutableList<Func<BoardEvent, Task>> _handlers = [];

    public IDisposable Subscribe(Func<BoardEvent, Task> handler)
    {
        ImmutableInterlocked.Update(ref _handlers, list => list.Add(handler));
        return new Subscription(() => ImmutableInterlocked.Update(ref _handlers, list => list.Remove(handler)));
    }

    public void Publish(BoardEvent boardEvent)
    {
        foreach (var handler in _handlers)
        {
            try
            {
                var task = handler(boardEvent);
                if (!task.IsCompleted)
                    _ = task.ContinueWith(t => LogHandlerFailed(t.Exception!, boardEvent.GetType().Name), TaskContinuationOptions.OnlyOnFaulted);
                else if (task.IsFaulted)
                    LogHandlerFailed(task.Exception!, boardEvent.GetType().Name);
            }
            catch (Exception e)
            {
                LogHandlerFailed(e, boardEvent.GetType().Name);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "A board event subscriber failed on {Event}")]
    private partial void LogHandlerFailed(Exception exception, string @event);
}

/// <summary>A subscription to a feed of this instance: disposing it runs the unsubscribe once, however often it is disposed.</summary>
public sealed class Subscription(Action unsubscribe) : IDisposable
{
    private Action? _unsubscribe = unsubscribe;
    public void Dispose() => Interlocked.Exchange(ref _unsubscribe, null)?.Invoke();
}
