using Microsoft.Extensions.Options;

namespace LeaseBoard.Features.Framework;

/// <summary>
/// The Process driver's settings are checked at start-up, like every other setting, but only where it is
/// the chosen driver: a Simulated install need not configure commands it never runs.
/// </summary>
public sealed class ChosenDriverValidation(IOptionsMonitor<ProcessFrameworkOptions> process) : IValidateOptions<FrameworkOptions>
{
    public ValidateOptionsResult Validate(string? name, FrameworkOptions options)
    {
        if (options.Driver != FrameworkDriver.Process) return ValidateOptionsResult.Skip;
        try
        {
            _ = process.CurrentValue;
            return ValidateOptionsResult.Success;
        }
        catch (OptionsValidationException invalid)
        {
            return ValidateOptionsResult.Fail(invalid.Failures);
        }
    }
}
