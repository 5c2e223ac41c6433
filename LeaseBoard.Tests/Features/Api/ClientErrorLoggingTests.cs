using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using LeaseBoard.Data;
using LeaseBoard.Domain;
using LeaseBoard.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace LeaseBoard.Tests.Features.Api;

/// <summary>A client's mistake is logged as what it is — a bad request, without a stack trace — and a fault of ours still as an error.</summary>
public sealed class ClientErrorLoggingTests
{
    private static readonly Actor Hal = new("local:hal", "Hal", false);

    [Fact]
    public async Task Malformed_bodies_bad_enums_and_non_numbers_answer_400_problems_and_log_no_error_while_a_server_fault_still_logs_one()
    {
        var logs = new CapturingLoggerProvider();
        await using var host = new ApiLogHost(logs);
        await host.InitializeAsync();
        using var api = host.Client(await host.TokenAsync(Hal));
        var before = logs.Entries.Count;

        foreach (var (request, field) in new (Func<HttpRequestMessage> Request, string Field)[]
        {
            (() => Post("{not json"), ""),
            (() => Post("{\"environment\":\"env-2\",\"start\":\"earliest\",\"durationMinutes\":60,\"title\":\"x\",\"testKind\":\"Nope\"}"), "testKind"),
            (() => new HttpRequestMessage(HttpMethod.Get, "/api/v1/slots/next?duration=sixty"), ""),
        })
        {
            using var response = await api.SendAsync(request());
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{response.StatusCode}: {body}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            var problem = JsonDocument.Parse(body).RootElement;
            Assert.Equal("Bad request", problem.GetProperty("title").GetString());
            Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("detail").GetString()));
            if (field.Length > 0) Assert.Equal(field, problem.GetProperty("field").GetString());
        }

        var during = logs.Entries.Skip(before).ToList();
        Assert.True(!during.Any(e => e.Level >= LogLevel.Error), "error entries for client errors: "
            + string.Join(" | ", during.Where(e => e.Level >= LogLevel.Error).Select(e => $"{e.Category}: {e.Message} {e.Exception?.GetType().Name}")));
        Assert.DoesNotContain(during, e => e.Level >= LogLevel.Warning);
        var badRequests = during.Where(e => e.Message.StartsWith("Bad request: ", StringComparison.Ordinal)).ToList();
        Assert.Equal(3, badRequests.Count);
        Assert.All(badRequests, e => Assert.True(e is { Level: LogLevel.Information, Exception: null }, $"{e.Level} {e.Exception?.GetType().Name}: {e.Message}"));
        Assert.Contains(badRequests, e => e.Message.Contains("POST /api/v1/reservations") && e.Message.Contains("400"));

        // A fault of ours (the environments table gone) is still a 500 logged at error level with its exception.
        await using (var db = await host.Factory.Services.GetRequiredService<IDbContextFactory<LeaseBoardDb>>().CreateDbContextAsync())
            await db.Database.ExecuteSqlRawAsync("ALTER TABLE Environments RENAME TO EnvironmentsGone");
        using var broken = await api.GetAsync("/api/v1/environments");
        Assert.Equal(HttpStatusCode.InternalServerError, broken.StatusCode);
        Assert.DoesNotContain("   at ", await broken.Content.ReadAsStringAsync());
        Assert.Contains(logs.Entries, e => e.Level == LogLevel.Error && e.Exception is not null);
    }

    private static HttpRequestMessage Post(string json) =>
        new(HttpMethod.Post, "/api/v1/reservations") { Content = new StringContent(json, Encoding.UTF8, "application/json") };

    private sealed class ApiLogHost(CapturingLoggerProvider logs)
        : ApiTestHost(new Dictionary<string, string?>(), services => services.AddSingleton<ILoggerProvider>(logs));
}
