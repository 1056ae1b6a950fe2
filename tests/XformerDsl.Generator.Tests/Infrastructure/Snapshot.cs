using System.Runtime.CompilerServices;
using System.Text;
using Xunit.Sdk;

namespace XformerDsl.Generator.Tests.Infrastructure;

/// <summary>
/// Snapshot assertions with Verify's file conventions (Verify itself does not restore here):
/// <c>{TestClass}.{Name}.verified.cs</c> beside the test's source file holds the accepted output; on a mismatch the
/// actual output goes to <c>{TestClass}.{Name}.received.cs</c> (git-ignored) and the test fails with a diff.
/// Accept all received outputs by running the tests with <c>VERIFY_ACCEPT=1</c>, which overwrites the verified files.
/// </summary>
public static class Snapshot
{
    /// <summary>Environment variable that, set to 1, makes every snapshot assertion accept the actual output.</summary>
    public const string AcceptVariable = "VERIFY_ACCEPT";

    public static void Verify(string actual, string name, [CallerFilePath] string testSourceFile = "")
    {
        var directory = Path.GetDirectoryName(testSourceFile)!;
        var testClass = Path.GetFileNameWithoutExtension(testSourceFile);
        var verifiedPath = Path.Combine(directory, $"{testClass}.{name}.verified.cs");
        var receivedPath = Path.Combine(directory, $"{testClass}.{name}.received.cs");
        actual = Normalize(actual);

        if (Environment.GetEnvironmentVariable(AcceptVariable) == "1")
        {
            File.WriteAllText(verifiedPath, actual);
            File.Delete(receivedPath);
            return;
        }

        if (!File.Exists(verifiedPath))
        {
            File.WriteAllText(receivedPath, actual);
            throw new XunitException(
                $"No verified snapshot {Path.GetFileName(verifiedPath)}. Review {receivedPath}; accept it by renaming it to .verified.cs or by running with {AcceptVariable}=1.");
        }

        var verified = Normalize(File.ReadAllText(verifiedPath));
        if (verified == actual)
        {
            File.Delete(receivedPath);
            return;
        }

        File.WriteAllText(receivedPath, actual);
        throw new XunitException(
            $"Snapshot {Path.GetFileName(verifiedPath)} differs; the actual output is in {Path.GetFileName(receivedPath)}. " +
            $"Accept with {AcceptVariable}=1 if the change is intended.\n" + LineDiff.Unified(verified, actual));
    }

    private static string Normalize(string text) => text.Replace("\r\n", "\n").Replace('\r', '\n');
}

/// <summary>A small line diff (longest common subsequence) printed in unified style with 2 lines of context.</summary>
public static class LineDiff
{
    public static string Unified(string expected, string actual, int context = 2, int maxLines = 200)
    {
        var a = expected.Split('\n');
        var b = actual.Split('\n');
        var lcs = new int[a.Length + 1, b.Length + 1];
        for (int i = a.Length - 1; i >= 0; i--)
            for (int j = b.Length - 1; j >= 0; j--)
                lcs[i, j] = a[i] == b[j] ? lcs[i + 1, j + 1] + 1 : Math.Max(lcs[i + 1, j], lcs[i, j + 1]);

        var edits = new List<(char Kind, string Line, int LineA, int LineB)>();
        int x = 0, y = 0;
        while (x < a.Length || y < b.Length)
        {
            if (x < a.Length && y < b.Length && a[x] == b[y]) { edits.Add((' ', a[x], x, y)); x++; y++; }
            else if (x < a.Length && (y == b.Length || lcs[x + 1, y] >= lcs[x, y + 1])) { edits.Add(('-', a[x], x, y)); x++; }
            else { edits.Add(('+', b[y], x, y)); y++; }
        }

        var output = new StringBuilder("--- verified\n+++ received\n");
        int printed = 0, lastPrinted = -1;
        for (int k = 0; k < edits.Count && printed < maxLines; k++)
        {
            bool near = false;
            for (int d = Math.Max(0, k - context); d <= Math.Min(edits.Count - 1, k + context) && !near; d++)
                near = edits[d].Kind != ' ';
            if (!near)
                continue;
            if (lastPrinted != k - 1)
                output.Append($"@@ verified line {edits[k].LineA + 1}, received line {edits[k].LineB + 1} @@\n");
            output.Append(edits[k].Kind).Append(edits[k].Line).Append('\n');
            lastPrinted = k;
            printed++;
        }
        return output.ToString();
    }
}
