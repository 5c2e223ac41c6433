using System.Data.Common;
using System.Net;
using System.Net.Http.Json;
using LeaseBoard.Data;
using LeaseBoard.Domain;
using LeaseBoard.Features.Api;
using LeaseBoard.Features.Booking;
using LeaseBoard.Tests.TestSupport;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace LeaseBoard.Tests.Features.Booking;

/// <summary>
/// The database round trips of one API booking, counted by an EF Core interceptor on the real app: every
/// statement is printed (the table of issue 15), and the counts are held to a budget so a change that adds
/// a round trip to the contested path fails here, where it is cheap to see.
/// </summary>
public sealed class BookingRoundTripTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly StatementLog _log = new();
    private LeaseBoardAppFactory _app = null!;

    public async Task InitializeAsync()
    {
        _app = new LeaseBoardAppFactory
        {
            ConfigureServices = services =>
            {
                services.ConfigureDbContext<SqliteLeaseBoardDb>(o => o.AddInterceptors(_log));
                services.AddHttpContextAccessor(); // so that the log can tell the request's statements from the rest
            },
        };
        await _app.Services.GetRequiredService<ApiWarmUp>().Warm.WaitAsync(TimeSpan.FromSeconds(60)); // its rehearsals are not the booking counted
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task One_api_booking_takes_few_round_trips_and_fewer_still_inside_its_transaction()
    {
        var owner = new Actor("local:roundtrips", "Round Trips", IsAdmin: false);
        var (created, error) = await _app.Services.GetRequiredService<LeaseBoard.Features.Tokens.ApiTokenService>().CreateAsync(owner, "round trips", ApiScope.Book, 30);
        Assert.True(created is not null, error);
        using var client = _app.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", created.Token);
        var day = DateTime.UtcNow.Date.AddDays(3);
        // A first booking warms the caches a booking may keep (the token, the model); the second is the one counted.
        await BookAsync(client, day.AddHours(9), "warm-up");
        var followUps = _app.Services.GetRequiredService<ReservationFollowUps>();
        await followUps.DrainedAsync().WaitAsync(TimeSpan.FromSeconds(30)); // the warm-up's own jobs are not counted

        _log.Start();
        await BookAsync(client, day.AddHours(12), "counted");
        await followUps.DrainedAsync().WaitAsync(TimeSpan.FromSeconds(30));
        var all = _log.Stop();
        var statements = all.Where(s => s.OnRequest).ToList();

        output.WriteLine($"{"#",3} {"in tx",-6} statement (on the request's path)");
        for (var i = 0; i < statements.Count; i++)
            output.WriteLine($"{i + 1,3} {(statements[i].InTransaction ? "yes" : ""),-6} {statements[i].Text}");
        output.WriteLine("    --- off the request's path (the job scheduling after the commit, other listeners):");
        foreach (var statement in all.Where(s => !s.OnRequest))
            output.WriteLine($"{"",3} {(statement.InTransaction ? "yes" : ""),-6} {statement.Text}");
        var inTransaction = statements.Count(s => s.InTransaction);
        output.WriteLine($"{statements.Count} round trips on the request's path, {inTransaction} of them inside the booking's transaction; {all.Count - statements.Count} off it");

        Assert.InRange(statements.Count, 1, Budget.OnTheRequestPath);
        Assert.InRange(inTransaction, 1, Budget.InTransaction);
    }

    /// <summary>What one booking may cost (issue 15): raise only with a reason in the commit.</summary>
    private static class Budget
    {
        public const int OnTheRequestPath = 8;
        public const int InTransaction = 7;
    }

    private static async Task BookAsync(HttpClient client, DateTime start, string title)
    {
        using var response = await client.PostAsJsonAsync("/api/v1/reservations",
            new { environment = "env-2", start = start.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'"), durationMinutes = 30, title });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    private sealed record Statement(string Text, bool InTransaction, bool OnRequest);

    /// <summary>Every command and transaction boundary while recording; one line per round trip.</summary>
    private sealed class StatementLog : DbCommandInterceptor, IDbTransactionInterceptor
    {
        private readonly Lock _gate = new();
        private readonly HttpContextAccessor _request = new(); // the request whose flow this statement runs in, if any
        private List<Statement>? _recording;

        public void Start()
        {
            lock (_gate) _recording = [];
        }

        public List<Statement> Stop()
        {
            lock (_gate)
            {
                var recorded = _recording ?? [];
                _recording = null;
                return recorded;
            }
        }

        private void Record(DbCommand command) => Record(Shorten(command.CommandText), command.Transaction is not null);

        private void Record(string text, bool inTransaction)
        {
            var onRequest = _request.HttpContext is not null;
            lock (_gate) _recording?.Add(new Statement(text, inTransaction, onRequest));
        }

        private static string Shorten(string sql)
        {
            var oneLine = string.Join(' ', sql.Split((char[])['\r', '\n', ' ', '\t'], StringSplitOptions.RemoveEmptyEntries));
            return oneLine.Length <= 140 ? oneLine : oneLine[..139] + "…";
        }

        public override InterceptionResult<DbDataReader> ReaderExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result)
        {
            Record(command);
            return result;
        }

        public override ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
        {
            Record(command);
            return ValueTask.FromResult(result);
        }

        public override InterceptionResult<int> NonQueryExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<int> result)
        {
            Record(command);
            return result;
        }

        public override ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
        {
            Record(command);
            return ValueTask.FromResult(result);
        }

        public override InterceptionResult<object> ScalarExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<object> result)
        {
            Record(command);
            return result;
        }

        public override ValueTask<InterceptionResult<object>> ScalarExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<object> result, CancellationToken cancellationToken = default)
        {
            Record(command);
            return ValueTask.FromResult(result);
        }

        public DbTransaction TransactionStarted(DbConnection connection, TransactionEndEventData eventData, DbTransaction result)
        {
            Record("BEGIN", true);
            return result;
        }

        public ValueTask<DbTransaction> TransactionStartedAsync(DbConnection connection, TransactionEndEventData eventData, DbTransaction result, CancellationToken cancellationToken = default)
        {
            Record("BEGIN", true);
            return ValueTask.FromResult(result);
        }

        public void TransactionCommitted(DbTransaction transaction, TransactionEndEventData eventData) => Record("COMMIT", true);

        public Task TransactionCommittedAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
        {
            Record("COMMIT", true);
            return Task.CompletedTask;
        }
    }
}
