using System.Net;
using LeaseBoard.Features.LiveUpdates;
using Microsoft.AspNetCore.SignalR.Client;

namespace LeaseBoard.Tests.TestSupport;

/// <summary>A SignalR client of /hubs/board that records every event it receives, with the time of receipt.</summary>
public sealed class BoardHubClient : IAsyncDisposable
{
    private readonly List<(BoardEvent Event, long Timestamp)> _received = [];

    private BoardHubClient(HubConnection connection)
    {
        Connection = connection;
        connection.On<EnvironmentChanged>(nameof(IBoardClient.EnvironmentChanged), e => Record(e));
        connection.On<ReservationChanged>(nameof(IBoardClient.ReservationChanged), e => Record(e));
        connection.On<RunProgressed>(nameof(IBoardClient.RunProgressed), e => Record(e));
    }

    public HubConnection Connection { get; }

    /// <summary>Called on every receipt (benchmarks count them without a channel).</summary>
    public Action<BoardEvent>? OnReceived { get; set; }

    private void Record(BoardEvent e)
    {
        OnReceived?.Invoke(e);
        var at = System.Diagnostics.Stopwatch.GetTimestamp();
        lock (_received) _received.Add((e, at));
    }

    public static BoardHubClient Create(Uri baseAddress, string? key = null, CookieContainer? cookies = null)
    {
        var url = new Uri(baseAddress, BoardHub.Path + (key is null ? "" : "?key=" + Uri.EscapeDataString(key)));
        var connection = new HubConnectionBuilder()
            .WithUrl(url, o => { if (cookies is not null) o.Cookies = cookies; })
            .Build();
        return new BoardHubClient(connection);
    }

    public static async Task<BoardHubClient> ConnectAsync(Uri baseAddress, string? key = null, CookieContainer? cookies = null)
    {
        var client = Create(baseAddress, key, cookies);
        await client.Connection.StartAsync();
        return client;
    }

    /// <summary>
    /// The first event received so far or within <paramref name="timeout"/> that matches, with the
    /// time it arrived (taken on receipt, so the polling here does not blur it).
    /// </summary>
    public async Task<(T Event, long Timestamp)> WaitForAsync<T>(Func<T, bool> match, TimeSpan timeout) where T : BoardEvent
    {
        var deadline = System.Diagnostics.Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * System.Diagnostics.Stopwatch.Frequency);
        while (true)
        {
            lock (_received)
            {
                foreach (var (e, at) in _received)
                    if (e is T typed && match(typed)) return (typed, at);
            }
            if (System.Diagnostics.Stopwatch.GetTimestamp() > deadline)
                throw new TimeoutException($"No matching {typeof(T).Name} within {timeout.TotalSeconds:0.#} s.");
            await Task.Delay(5);
        }
    }

    public async ValueTask DisposeAsync() => await Connection.DisposeAsync();
}
