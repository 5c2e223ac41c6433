using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;

namespace LeaseBoard.Features.LiveUpdates;

/// <summary>
/// Carries board events to scripts and other dashboards. It only sends: it has no method a client
/// can call, so holding a connection (even with the kiosk key) can change nothing.
/// </summary>
[Authorize(Policy = BoardReaderAuthentication.Policy)]
public sealed class BoardHub : Hub<IBoardClient>
{
    public const string Path = "/hubs/board";
}
