using System.Runtime.Intrinsics;

namespace XformerDsl.Kernels;

/// <summary>Which vector width a kernel runs at on this machine.</summary>
public static class SimdWidth
{
    /// <summary>True when 512-bit vectors are accelerated (AVX-512).</summary>
    public static bool Use512 => Vector512.IsHardwareAccelerated;

    /// <summary>True when 512-bit vectors are not accelerated but 256-bit ones are (AVX2).</summary>
    public static bool Use256 => !Vector512.IsHardwareAccelerated && Vector256.IsHardwareAccelerated;

    /// <summary>True when only 128-bit vectors are accelerated (SSE, NEON).</summary>
    public static bool Use128 => !Vector512.IsHardwareAccelerated && !Vector256.IsHardwareAccelerated && Vector128.IsHardwareAccelerated;

    /// <summary>True when some vector width is accelerated, so the fused kernels can run.</summary>
    public static bool Any => Vector128.IsHardwareAccelerated || Vector256.IsHardwareAccelerated || Vector512.IsHardwareAccelerated;

    /// <summary>A name for reports: <c>512-bit</c>, <c>256-bit</c>, <c>128-bit</c> or <c>none</c>.</summary>
    public static string Name => Use512 ? "512-bit" : Use256 ? "256-bit" : Use128 ? "128-bit" : "none";
}
