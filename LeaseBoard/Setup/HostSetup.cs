using Microsoft.Extensions.Options;

namespace LeaseBoard.Setup;

public static class HostSetup
{
    /// <summary>Every clock read goes through <see cref="TimeProvider"/>; tests put in a fake one first.</summary>
    public static WebApplicationBuilder AddClock(this WebApplicationBuilder builder)
    {
        if (builder.Services.All(d => d.ServiceType != typeof(TimeProvider)))
            builder.Services.AddSingleton(TimeProvider.System);
        return builder;
    }

    /// <summary>
    /// Binds an options class to its configuration section and validates it (data annotations and
    /// <see cref="System.ComponentModel.DataAnnotations.IValidatableObject"/>) when the app starts, so a
    /// bad setting stops the start with its message instead of failing later on first use.
    /// </summary>
    public static OptionsBuilder<T> AddValidatedOptions<T>(this IServiceCollection services, string section) where T : class =>
        services.AddOptions<T>().BindConfiguration(section).ValidateDataAnnotations().ValidateOnStart();
}
