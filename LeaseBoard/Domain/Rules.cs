namespace LeaseBoard.Domain;

/// <summary>Limits that are part of the data model rather than configuration.</summary>
public static class Rules
{
    public const int TitleMaxLength = 120;
    public const int TestSpecMaxLength = 4000;
    public const int ReasonMaxLength = 500;
}
