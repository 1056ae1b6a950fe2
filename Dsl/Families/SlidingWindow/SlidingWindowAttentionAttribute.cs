using System;

namespace XformerDsl
{
    /// <summary>
    /// Sliding-window attention with dilation and global tokens (Longformer, Beltagy et al., 2020; ETC's global-local
    /// attention, Ainslie et al., 2020). Each query attends to a window of <see cref="Window"/> keys around it:
    /// <list type="bullet">
    /// <item>causal: the Window keys ending at the query itself, positions i − (Window − 1)·Dilation … i;</item>
    /// <item>bidirectional: Window / 2 (rounded down) keys on each side plus the query itself,
    /// positions i − (Window / 2)·Dilation … i + (Window / 2)·Dilation.</item>
    /// </list>
    /// With <see cref="Dilation"/> d the window takes every d-th key, widening its reach d times at the same cost;
    /// <see cref="Dilations"/> gives each head its own, as Longformer does (small dilations on some heads for local
    /// detail, larger on others for reach).
    /// The first <see cref="GlobalTokens"/> positions are global: every query attends to them, and in a bidirectional
    /// model they attend to every position. In a causal model a global token cannot see later positions (they are its
    /// future), so it acts as a global key only, like the attention sinks of StreamingLLM. Cost O(L·(Window + GlobalTokens)·Dim).
    /// </summary>
    /// <example><c>[SlidingWindowAttention(Heads = 4, Window = 256, GlobalTokens = 1)]</c></example>
    [AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
    public sealed class SlidingWindowAttentionAttribute : AttentionAttribute
    {
        /// <summary>Required. Keys each query attends to in its window (itself included), from 1 to MaxLength.</summary>
        public int Window { get; set; }

        /// <summary>Distance between the window's keys: 1 (the default) for contiguous keys; d keeps every d-th key.</summary>
        public int Dilation { get; set; } = 1;

        /// <summary>
        /// One dilation per head instead of <see cref="Dilation"/> for all, e.g. <c>new[] { 1, 1, 2, 4 }</c> with 4 heads:
        /// exactly Heads entries, each from 1. Heads with equal dilations in a row share one generated kernel; each
        /// distinct dilation gets its own compile-time layout. Leave <see cref="Dilation"/> at 1 when this is set.
        /// </summary>
        public int[]? Dilations { get; set; }

        /// <summary>The first positions that attend and are attended everywhere (see the class remarks for causal models). 0 by default.</summary>
        public int GlobalTokens { get; set; }
    }
}
