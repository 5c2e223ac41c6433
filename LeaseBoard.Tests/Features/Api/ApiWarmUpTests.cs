using LeaseBoard.Data;
using LeaseBoard.Features.Api;
using LeaseBoard.Features.LiveUpdates;
using LeaseBoard.Features.Tokens;
using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace LeaseBoard.Tests.Features.Api;

/// <summary>The warm-up rehearses a booking before the instance says it is ready, and leaves no trace of it.</summary>
public sealed class ApiWarmUpTests(ApiTestHost host) : IClassFixture<ApiTestHost>
{
    [Fact]
    public async Task The_instance_is_not_ready_until_warm_and_the_rehearsals_store_and_announce_nothing()
    {
        var services = host.Factory.Services;
        var events = new List<BoardEvent>();
        using var tap = services.GetRequiredService<BoardEvents>().Subscribe(e => { lock (events) events.Add(e); return Task.CompletedTask; });
        var warmUp = ActivatorUtilities.CreateInstance<ApiWarmUp>(services);
        var context = new HealthCheckContext { Registration = new HealthCheckRegistration("warm-up", warmUp, null, null) };

        Assert.Equal(HealthStatus.Unhealthy, (await warmUp.CheckHealthAsync(context)).Status);
        await warmUp.StartAsync(CancellationToken.None);
        await warmUp.Warm.WaitAsync(TimeSpan.FromSeconds(60));
        await warmUp.StopAsync(CancellationToken.None);

        Assert.Equal(HealthStatus.Healthy, (await warmUp.CheckHealthAsync(context)).Status);
        await using var db = await services.GetRequiredService<IDbContextFactory<LeaseBoardDb>>().CreateDbContextAsync();
        Assert.False(await db.Reservations.AnyAsync(r => r.OwnerId == "system:rehearsal"));
        Assert.False(await db.AuditEntries.AnyAsync(a => a.Actor == "system:rehearsal"));
        lock (events) Assert.Empty(events);
    }

    [Fact]
    public async Task The_ready_endpoint_answers_200_once_warm()
    {
        await host.Factory.Services.GetRequiredService<ApiWarmUp>().Warm.WaitAsync(TimeSpan.FromSeconds(60));
        using var client = host.Client(null);
        using var ready = await client.GetAsync("/health/ready");
        Assert.Equal(System.Net.HttpStatusCode.OK, ready.StatusCode);
    }

    [Fact]
    public async Task The_warm_up_token_books_a_rehearsal_over_HTTP_that_stores_and_announces_nothing_and_is_refused_once_revoked()
    {
        var services = host.Factory.Services;
        await services.GetRequiredService<ApiWarmUp>().Warm.WaitAsync(TimeSpan.FromSeconds(60));
        var events = new List<BoardEvent>();
        using var tap = services.GetRequiredService<BoardEvents>().Subscribe(e => { lock (events) events.Add(e); return Task.CompletedTask; });
        var warmUpToken = services.GetRequiredService<WarmUpToken>();
        var token = warmUpToken.Issue();
        using var client = host.Client(token);
        var request = new { environment = "env-2", start = ApiTestHost.At(9, 4), durationMinutes = 60, title = "Warm-up" };

        using (var booked = await client.PostAsJsonAsync("/api/v1/reservations", request))
            Assert.True(booked.StatusCode == HttpStatusCode.Created, await booked.Content.ReadAsStringAsync());
        using (var again = await client.PostAsJsonAsync("/api/v1/reservations", request))
            Assert.True(again.StatusCode == HttpStatusCode.Created, "a rehearsal holds nothing, so the same slot rehearses again: " + await again.Content.ReadAsStringAsync());

        await using (var db = await services.GetRequiredService<IDbContextFactory<LeaseBoardDb>>().CreateDbContextAsync())
        {
            Assert.False(await db.Reservations.AnyAsync(r => r.OwnerId == WarmUpToken.CallerId));
            Assert.False(await db.AuditEntries.AnyAsync(a => a.Actor == WarmUpToken.CallerId));
        }
        lock (events) Assert.Empty(events);

        warmUpToken.Revoke();
        using var refused = await client.PostAsJsonAsync("/api/v1/reservations", request);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
    }
}
