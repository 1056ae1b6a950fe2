using Xunit;

namespace XformerDsl.Generator.Tests.Families;

/// <summary>
/// One attention family's diagnostic cases, in its folder beside its other tests: a new family adds a subclass, and
/// <see cref="FamilyDiagnosticTests"/> finds it. The constants are the usual declaration parts.
/// </summary>
internal abstract class FamilyDiagnosticCases
{
    protected const string Usings = Infrastructure.DiagnosticCases.Usings;
    protected const string Transformer = Infrastructure.DiagnosticCases.Transformer;
    protected const string U = Usings;
    protected const string T = Transformer;
    protected const string A = Infrastructure.DiagnosticCases.Attention;

    /// <summary>The family, as its attribute is written: the class name without <c>DiagnosticCases</c>.</summary>
    public string Family => GetType().Name[..^"DiagnosticCases".Length];

    /// <summary>An ID, a declaration with the offending syntax marked <c>[|…|]</c>, and the expected message.</summary>
    public abstract TheoryData<string, string, string> Cases { get; }

    /// <summary>Attribute lists, under the usual (causal) <c>[Transformer]</c>, that declare a valid model.</summary>
    public virtual IEnumerable<string> Valid => [];

    /// <summary>Attribute lists, under a bidirectional <c>[Transformer]</c> (<c>DiagnosticCases.Encoder</c>), that declare a valid model.</summary>
    public virtual IEnumerable<string> ValidEncoders => [];

    /// <summary>Broken declarations (a name and the source) on which the generator must stay total.</summary>
    public virtual TheoryData<string, string> Malformed => new();

    /// <summary>Every family's cases in this assembly, by family name.</summary>
    public static IReadOnlyList<FamilyDiagnosticCases> All { get; } = typeof(FamilyDiagnosticCases).Assembly.GetTypes()
        .Where(type => type.IsSubclassOf(typeof(FamilyDiagnosticCases)) && !type.IsAbstract)
        .Select(type => (FamilyDiagnosticCases)Activator.CreateInstance(type)!)
        .OrderBy(cases => cases.Family, StringComparer.Ordinal)
        .ToList();
}
