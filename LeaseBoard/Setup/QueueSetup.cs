using LeaseBoard.Features.Booking;
using LeaseBoard.Features.Leases;
using LeaseBoard.Features.Queue;

namespace LeaseBoard.Setup;

public static class QueueSetup
{
    /// <summary>The queue's services and its supervise-beat hook (services only; tests build this part alone).</summary>
    public static IServiceCollection AddQueueServices(this IServiceCollection services)
    {
        services.AddValidatedOptions<QueueOptions>(QueueOptions.Section);
        services.AddSingleton<QueueService>();
        services.AddSingleton<QueueFeed>();
        services.AddSingleton<QueuePlacer>();
        services.AddSingleton<QueueTriggers>();
        services.AddSingleton<ISupervisePassListener, QueueOnSupervise>();
        // My reservations lists the viewer's queued tests; Booking does not know the queue, Setup wires the two.
        services.Configure<MyReservationsParts>(parts => parts.Below.Add(typeof(MyQueuedTests)));
        return services;
    }

    public static WebApplicationBuilder AddQueue(this WebApplicationBuilder builder)
    {
        builder.Services.AddQueueServices();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<QueueTriggers>());
        return builder;
    }

    /// <summary>Each supervise pass ends with a placement pass: the backstop for every trigger the queue may have missed.</summary>
    private sealed class QueueOnSupervise(QueuePlacer placer) : ISupervisePassListener
    {
        public Task AfterSuperviseAsync(CancellationToken ct) => placer.RunPassAsync(ct);
    }
}
