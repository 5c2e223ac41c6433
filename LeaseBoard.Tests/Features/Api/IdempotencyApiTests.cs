using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using LeaseBoard.Data;
using LeaseBoard.Domain;
using LeaseBoard.Features.Booking;
using LeaseBoard.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace LeaseBoard.Tests.Features.Api;

/// <summary>
/// Holds requests at one point of a booking while armed, so a test can line them up there and let them
/// go on together: the races of issue 13 point 7, made deterministic.
/// </summary>
public sealed class Door
{
    private readonly Lock _gate = new();
    private TaskCompletionSource _open = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _armed;
    private int _waiting;

    public void Arm()
    {
        lock (_gate) (_armed, _waiting, _open) = (true, 0, new(TaskCreationOptions.RunContinuationsAsynchronously));
    }

    public int Waiting { get { lock (_gate) return _waiting; } }

    /// <summary>Lets the held requests on (and every later one).</summary>
    public void Open()
    {
        TaskCompletionSource open;
        lock (_gate) (_armed, open) = (false, _open);
        open.TrySetResult();
    }

    public async Task PassAsync()
    {
        Task open;
        lock (_gate)
        {
            if (!_armed) return;
            _waiting++;
            open = _open.Task;
        }
        await open.WaitAsync(TimeSpan.FromSeconds(30)); // a test that never opens the door fails instead of hanging
    }
}

/// <summary>
/// The app with a door in front of its <see cref="SlotGuard"/> (the guard's first context, after the booking
/// service's early Idempotency-Key lookup) and one on the request's path right after a booking's transaction committed.
/// </summary>
public sealed class DoorsApiHost() : ApiTestHost(new() { ["LeaseBoard:Api:RequestsPerMinute"] = "100000" }, services =>
{
    services.AddSingleton(sp => new SlotGuard(new DoorFactory(sp.GetRequiredService<IDbContextFactory<LeaseBoardDb>>(), Doors.Guard),
        sp.GetRequiredService<IOptionsMonitor<BookingOptions>>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<WriteTurns>())); // registered after the app's: this one wins
    var afterCommit = new DoorAfterCommit(Doors.AfterCommit);
    services.ConfigureDbContext<SqliteLeaseBoardDb>(o => o.AddInterceptors(afterCommit));
    services.ConfigureDbContext<SqlServerLeaseBoardDb>(o => o.AddInterceptors(afterCommit));
})
{
    private static readonly (Door Guard, Door AfterCommit) Doors = (new Door(), new Door());

    public Door GuardDoor => Doors.Guard;
    public Door AfterCommitDoor => Doors.AfterCommit;

    private sealed class DoorFactory(IDbContextFactory<LeaseBoardDb> inner, Door door) : IDbContextFactory<LeaseBoardDb>
    {
        public LeaseBoardDb CreateDbContext() => inner.CreateDbContext();

        public async Task<LeaseBoardDb> CreateDbContextAsync(CancellationToken ct = default)
        {
            await door.PassAsync();
            return await inner.CreateDbContextAsync(ct);
        }
    }

    /// <summary>Holds the caller of a committed transaction that wrote a reservation, before the booking service answers.</summary>
    private sealed class DoorAfterCommit(Door door) : DbTransactionInterceptor
    {
        public override async Task TransactionCommittedAsync(System.Data.Common.DbTransaction transaction, TransactionEndEventData eventData, CancellationToken ct = default)
        {
            if (eventData.Context?.ChangeTracker.Entries<Reservation>().Any() == true) await door.PassAsync();
        }
    }
}

public sealed class IdempotencyApiTests(DoorsApiHost host) : IClassFixture<DoorsApiHost>
{
    private static readonly Actor Eve = new("local:eve", "Eve", false);

    private static object Booking(string environment, string start, int minutes = 60, string title = "API soak") =>
        new { environment, start, durationMinutes = minutes, title, testKind = "Load", testSpec = "users=10" };

    private static HttpRequestMessage Post(object body, string key)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/reservations") { Content = JsonContent.Create(body) };
        request.Headers.Add("Idempotency-Key", key);
        return request;
    }

    [Fact]
    public async Task Eight_simultaneous_posts_with_one_idempotency_key_all_get_the_one_reservation_and_none_a_conflict()
    {
        const int clients = 8;
        using var api = host.Client(await host.TokenAsync(Eve));
        var key = Guid.NewGuid().ToString();
        var body = Booking("env-1", ApiTestHost.At(5, 9));
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        // All eight pass the early key lookup and wait at the guard's door; then they go in together.
        host.GuardDoor.Arm();
        var posts = Enumerable.Range(0, clients).Select(_ => Task.Run(async () =>
        {
            await start.Task;
            using var response = await api.SendAsync(Post(body, key));
            return (response.StatusCode, Body: await response.Content.ReadFromJsonAsync<JsonElement>());
        })).ToList();
        start.SetResult();
        await Eventually.TrueAsync(() => host.GuardDoor.Waiting == clients, TimeSpan.FromSeconds(30), "all eight requests reach the guard");
        host.GuardDoor.Open();
        var answers = await Task.WhenAll(posts);

        Assert.All(answers, a => Assert.True(a.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK, $"{(int)a.StatusCode}: {a.Body}"));
        Assert.Single(answers, a => a.StatusCode == HttpStatusCode.Created); // the first books, the others replay it with 200
        Assert.Single(answers.Select(a => a.Body.GetProperty("id").GetInt32()).Distinct());
        Assert.Equal(1, await CountAsync(key));
    }

    [Fact]
    public async Task A_client_that_aborts_before_its_booking_committed_and_retries_gets_one_fresh_booking_not_a_conflict()
    {
        using var api = host.Client(await host.TokenAsync(Eve));
        var key = Guid.NewGuid().ToString();
        var body = Booking("env-2", ApiTestHost.At(5, 11));

        // The request is inside the app (past the early lookup, at the guard) when the client gives up; the
        // retry passes the early lookup too before either goes in.
        host.GuardDoor.Arm();
        using var abort = new CancellationTokenSource();
        var aborted = api.SendAsync(Post(body, key), abort.Token);
        await Eventually.TrueAsync(() => host.GuardDoor.Waiting == 1, TimeSpan.FromSeconds(30), "the first request reaches the guard");
        await abort.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => aborted);
        var retrying = api.SendAsync(Post(body, key));
        await Eventually.TrueAsync(() => host.GuardDoor.Waiting == 2, TimeSpan.FromSeconds(30), "the retry reaches the guard");
        host.GuardDoor.Open();
        using var retry = await retrying;
        var answer = await retry.Content.ReadFromJsonAsync<JsonElement>();

        // The abort reaches the app as RequestAborted: the first request rolls back and the retry books.
        Assert.True(retry.StatusCode == HttpStatusCode.Created, $"{(int)retry.StatusCode}: {answer}");
        Assert.Equal([answer.GetProperty("id").GetInt32()], await BookedAsync(key));
    }

    [Fact]
    public async Task A_client_that_aborts_after_its_booking_committed_and_retries_gets_that_booking_back()
    {
        using var api = host.Client(await host.TokenAsync(Eve));
        var key = Guid.NewGuid().ToString();
        var body = Booking("env-3", ApiTestHost.At(5, 9));

        // The booking is committed; the client gives up before the answer comes.
        host.AfterCommitDoor.Arm();
        using var abort = new CancellationTokenSource();
        var aborted = api.SendAsync(Post(body, key), abort.Token);
        await Eventually.TrueAsync(() => host.AfterCommitDoor.Waiting == 1, TimeSpan.FromSeconds(30), "the first request commits");
        await abort.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => aborted);
        host.AfterCommitDoor.Open();

        using var retry = await api.SendAsync(Post(body, key));
        var answer = await retry.Content.ReadFromJsonAsync<JsonElement>();

        Assert.True(retry.StatusCode == HttpStatusCode.OK, $"{(int)retry.StatusCode}: {answer}"); // a replay, not a new booking
        Assert.Equal([answer.GetProperty("id").GetInt32()], await BookedAsync(key));
    }

    [Fact]
    public async Task An_idempotency_key_reused_for_a_different_booking_answers_422_and_books_nothing_more()
    {
        using var api = host.Client(await host.TokenAsync(Eve));
        var key = Guid.NewGuid().ToString();
        using (var first = await api.SendAsync(Post(Booking("env-3", ApiTestHost.At(5, 13)), key)))
            Assert.Equal(HttpStatusCode.Created, first.StatusCode);

        foreach (var other in new[]
        {
            Booking("env-3", ApiTestHost.At(5, 15)), Booking("env-1", ApiTestHost.At(5, 13)),
            Booking("env-3", ApiTestHost.At(5, 13), minutes: 90), Booking("env-3", ApiTestHost.At(5, 13), title: "Another test"),
        })
        {
            using var reused = await api.SendAsync(Post(other, key));
            Assert.Equal(HttpStatusCode.UnprocessableEntity, reused.StatusCode);
            Assert.Equal("application/problem+json", reused.Content.Headers.ContentType!.MediaType);
            Assert.Contains("Idempotency-Key was already used for another request", (await reused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());
        }

        using var replay = await api.SendAsync(Post(Booking("env-3", ApiTestHost.At(5, 13)), key));
        Assert.Equal(HttpStatusCode.OK, replay.StatusCode);
        Assert.Equal(1, await CountAsync(key));
    }

    private IDbContextFactory<LeaseBoardDb> Dbs() => host.Factory.Services.GetRequiredService<IDbContextFactory<LeaseBoardDb>>();

    private async Task<List<int>> BookedAsync(string key)
    {
        await using var db = await Dbs().CreateDbContextAsync();
        return await db.Reservations.Where(r => r.IdempotencyKey == key).Select(r => r.Id).ToListAsync();
    }

    private async Task<int> CountAsync(string key)
    {
        await using var db = await Dbs().CreateDbContextAsync();
        return await db.Reservations.CountAsync(r => r.IdempotencyKey == key);
    }
}
