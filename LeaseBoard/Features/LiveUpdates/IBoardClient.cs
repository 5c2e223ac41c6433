namespace LeaseBoard.Features.LiveUpdates;

/// <summary>What the board hub sends to its clients: the board events, nothing else.</summary>
public interface IBoardClient
{
    Task EnvironmentChanged(EnvironmentChanged change);
    Task ReservationChanged(ReservationChanged change);
    Task RunProgressed(RunProgressed progress);
}
