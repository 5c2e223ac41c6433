using LeaseBoard.Data;
using LeaseBoard.Domain;
using LeaseBoard.Features.LiveUpdates;
using LeaseBoard.Features.Notifications;
using LeaseBoard.Features.Webhooks;
using LeaseBoard.Setup;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace LeaseBoard.Tests.TestSupport;

/// <summary>
/// Notifications and webhooks as the app wires them (the real sender's HTTP client included) on a real database,
/// a fake clock and a local listener; the booking service of a <see cref="BookingHarness"/> on the same database.
/// </summary>
public sealed class WebhookHarness : IAsyncDisposable
{
    private readonly ServiceProvider _services;

    private WebhookHarness(BookingHarness booking, WebhookListener listener, Dictionary<string, string?>? settings)
    {
        Booking = booking;
        Listener = listener;
        var services = new ServiceCollection();
        services.AddLogging(l => l.AddProvider(Logs).SetMinimumLevel(LogLevel.Trace));
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings ?? []).Build());
        services.AddSingleton<TimeProvider>(booking.Clock);
        services.AddSingleton<IDbContextFactory<LeaseBoardDb>>(booking.Database);
        services.AddSingleton(booking.Events);
        services.AddSingleton<IDataProtectionProvider>(new EphemeralDataProtectionProvider());
        services.AddNotificationServices();
        services.AddWebhookServices();
        _services = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = false });
    }

    public BookingHarness Booking { get; }
    public WebhookListener Listener { get; }
    public CapturingLoggerProvider Logs { get; } = new();
    public Microsoft.Extensions.Time.Testing.FakeTimeProvider Clock => Booking.Clock;
    public TestDatabase Database => Booking.Database;
    public NotificationService Notifications => _services.GetRequiredService<NotificationService>();
    public WebhookSettings Settings => _services.GetRequiredService<WebhookSettings>();
    public WebhookDeliverer Deliverer => _services.GetRequiredService<WebhookDeliverer>();
    public WebhookOutbox Outbox => _services.GetRequiredService<WebhookOutbox>();
    public IServiceProvider Services => _services;

    public static async Task<WebhookHarness> CreateAsync(Dictionary<string, string?>? settings = null) =>
        new(await BookingHarness.CreateAsync(), await WebhookListener.StartAsync(), settings);

    /// <summary>Adds a webhook of Ana's (by default) on the listener, for the given kinds.</summary>
    public async Task<WebhookRow> AddAsync(ChatService service, params NotificationKind[] kinds) =>
        await AddAsync(TestActors.Ana, service, kinds);

    public async Task<WebhookRow> AddAsync(Actor actor, ChatService service, params NotificationKind[] kinds)
    {
        var (row, error) = await Settings.AddAsync(actor, service, Listener.Url(), Webhook.JoinKinds(kinds));
        Assert.Null(error);
        return row!;
    }

    public async Task<List<WebhookDelivery>> DeliveriesAsync()
    {
        await using var db = Database.CreateDbContext();
        return await db.WebhookDeliveries.AsNoTracking().OrderBy(d => d.Id).ToListAsync();
    }

    public async Task<Webhook> WebhookAsync(int id)
    {
        await using var db = Database.CreateDbContext();
        return await db.Webhooks.AsNoTracking().SingleAsync(w => w.Id == id);
    }

    public async ValueTask DisposeAsync()
    {
        await _services.DisposeAsync();
        await Listener.DisposeAsync();
        await Booking.DisposeAsync();
    }
}
