// netstandard2.0 lacks the marker type the compiler needs for `init` accessors and records.
// Internal, so each assembly that compiles these sources (Dsl and Generator) gets its own copy.
namespace System.Runtime.CompilerServices
{
    internal static class IsExternalInit
    {
    }
}
