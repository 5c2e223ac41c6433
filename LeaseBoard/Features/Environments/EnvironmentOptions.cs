using System.ComponentModel.DataAnnotations;
using System.Text.RegularExpressions;

namespace LeaseBoard.Features.Environments;

/// <summary>The pool of environments, from <c>LeaseBoard:Environments</c>; synced into the database on start-up.</summary>
public sealed partial class EnvironmentOptions : IValidatableObject
{
    public const string Section = "LeaseBoard";

    public List<EnvironmentDefinition> Environments { get; set; } = [];

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Environments.Count == 0)
            yield return new ValidationResult("LeaseBoard:Environments must list at least one environment (Key, Name, Description).");
        foreach (var (definition, index) in Environments.Select((d, i) => (d, i)))
        {
            if (string.IsNullOrWhiteSpace(definition.Key) || !KeyPattern().IsMatch(definition.Key))
                yield return new ValidationResult($"LeaseBoard:Environments:{index}:Key '{definition.Key}' must be 1-64 lower-case letters, digits or dashes.");
            if (string.IsNullOrWhiteSpace(definition.Name))
                yield return new ValidationResult($"LeaseBoard:Environments:{index}:Name is required.");
        }
        foreach (var duplicate in Environments.GroupBy(d => d.Key).Where(g => g.Count() > 1))
            yield return new ValidationResult($"LeaseBoard:Environments lists the key '{duplicate.Key}' more than once.");
    }

    [GeneratedRegex(@"^[a-z0-9][a-z0-9-]{0,63}\z")]
    private static partial Regex KeyPattern();
}

public sealed class EnvironmentDefinition
{
    public string Key { get; set; } = "";
    public string Name { get; set; } = "";
    public string Description { get; set; } = "";
}
