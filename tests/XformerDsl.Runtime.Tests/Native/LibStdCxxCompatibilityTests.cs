using XformerDsl.Native;
using Xunit;

namespace XformerDsl.Tests.Native;

/// <summary>
/// The build patches libLibTorchSharp.so only where the system libstdc++ lacks a version it asks
/// for spuriously. These tests run the same pure functions on the library as shipped in the NuGet cache.
/// </summary>
public class LibStdCxxCompatibilityTests
{
    private static readonly string ShippedLibrary = Path.Combine(
        Environment.GetEnvironmentVariable("NUGET_PACKAGES") ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages"),
        "torchsharp", "0.107.0", "runtimes", "linux-x64", "native", "libLibTorchSharp.so");

    private static byte[] Shipped() => File.ReadAllBytes(ShippedLibrary);

    private static HashSet<string> Required(byte[] library) =>
        ElfSymbolVersions.RequiredVersions(library, "libstdc++.so.6").Select(v => v.Key).ToHashSet();

    [Fact]
    public void Library_as_shipped_requires_GLIBCXX_3_4_32()
    {
        Assert.Contains("GLIBCXX_3.4.32", Required(Shipped()));
    }

    [Fact]
    public void Nothing_changes_where_the_system_provides_every_version()
    {
        var library = Shipped();
        var result = ElfSymbolVersions.RelaxUnusedRequirements(library, "libstdc++.so.6", Required(library));
        Assert.Null(result.Patched);
        Assert.False(result.Refused);
    }

    [Fact]
    public void Only_the_unreferenced_marker_requirement_is_rewritten()
    {
        var library = Shipped();
        var provided = Required(library).Where(v => v != "GLIBCXX_3.4.32").ToHashSet();

        var result = ElfSymbolVersions.RelaxUnusedRequirements(library, "libstdc++.so.6", provided);

        Assert.False(result.Refused);
        Assert.NotNull(result.Patched);
        Assert.Equal(library.Length, result.Patched!.Length);
        Assert.Contains(result.Messages, m => m.Contains("_ZSt21ios_base_library_initv"));
        // The patched image needs nothing beyond what was provided: planning again finds nothing to do.
        var again = ElfSymbolVersions.RelaxUnusedRequirements(result.Patched, "libstdc++.so.6", provided);
        Assert.Null(again.Patched);
        Assert.False(again.Refused);
        Assert.DoesNotContain("GLIBCXX_3.4.32", Required(result.Patched));
        // The input is never mutated (it may be a hard link into the NuGet cache).
        Assert.Contains("GLIBCXX_3.4.32", Required(library));
    }

    [Fact]
    public void A_missing_version_that_backs_relocated_symbols_is_refused()
    {
        var library = Shipped();
        // GLIBCXX_3.4 is the base version of most of libstdc++'s real symbols, which the library calls.
        var provided = Required(library).Where(v => v != "GLIBCXX_3.4").ToHashSet();

        var result = ElfSymbolVersions.RelaxUnusedRequirements(library, "libstdc++.so.6", provided);

        Assert.True(result.Refused);
        Assert.Null(result.Patched);
        Assert.Contains(result.Messages, m => m.Contains("GLIBCXX_3.4 is required by relocated symbol"));
    }

    [Fact]
    public void Elf_hash_agrees_with_the_hashes_the_linker_wrote()
    {
        var required = ElfSymbolVersions.RequiredVersions(Shipped(), "libstdc++.so.6");
        Assert.True(required.Count > 10);
        Assert.All(required, v => Assert.Equal(v.Value, ElfSymbolVersions.ElfHash(v.Key)));
    }

    [Fact]
    public void Rewritten_entry_carries_the_hash_of_its_new_name()
    {
        var library = Shipped();
        var provided = Required(library).Where(v => v != "GLIBCXX_3.4.32").ToHashSet();
        var patched = ElfSymbolVersions.RelaxUnusedRequirements(library, "libstdc++.so.6", provided).Patched!;
        var entries = ElfSymbolVersions.RequiredVersions(patched, "libstdc++.so.6");
        Assert.Equal(2, entries.Count(v => v.Key == "GLIBCXX_3.4.30"));
        Assert.All(entries, v => Assert.Equal(ElfSymbolVersions.ElfHash(v.Key), v.Value));
    }

    [Fact]
    public void System_libstdcxx_defines_its_versions()
    {
        string? system = SystemLibStdCxx.Locate(null);
        Assert.NotNull(system);
        var defined = ElfSymbolVersions.DefinedVersions(File.ReadAllBytes(system!));
        Assert.Contains("GLIBCXX_3.4", defined);
        Assert.Contains("CXXABI_1.3", defined);
    }
}
