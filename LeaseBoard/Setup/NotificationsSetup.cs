using LeaseBoard.Features.Notifications;
using LeaseBoard.Features.Webhooks;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace LeaseBoard.Setup;

public static class NotificationsSetup
{
    /// <summary>The owners' notifications (services only; tests build this part alone).</summary>
    public static IServiceCollection AddNotificationServices(this IServiceCollection services)
    {
        services.AddValidatedOptions<NotificationOptions>(NotificationOptions.Section);
        services.TryAddSingleton<WebhookOutbox>(); // a person's webhook messages are written with their notification
        services.AddSingleton<NotificationService>();
        services.AddSingleton<NotificationWatcher>();
        services.AddSingleton<NotificationJobs>();
        return services;
    }

    public static WebApplicationBuilder AddNotifications(this WebApplicationBuilder builder)
    {
        builder.Services.AddNotificationServices();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<NotificationWatcher>());
        builder.Services.AddHostedService<NotificationStartup>();
        return builder;
    }
}
