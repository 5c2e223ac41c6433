namespace LeaseBoard.Features.Leases;

/// <summary>
/// Told at the end of each supervise pass (the 30-second beat), after leases have moved on: the queue places into the
/// time that came free. Defined here so that the lease engine knows nothing of who listens.
/// </summary>
public interface ISupervisePassListener
{
    Task AfterSuperviseAsync(CancellationToken ct);
}
