/* kth.h — the k-th smallest of n doubles by selection (Hoare's partitioning towards k):
 * what sorting them and taking the k-th gives, in linear time on average.  The phash's
 * median and dedupe's detail comparison use it. */
#ifndef AZD_KTH_H
#define AZD_KTH_H

/* The k-th smallest of v[0 .. n-1] (0-based, 0 <= k < n), reordering v: afterwards
 * v[k] holds it, with nothing larger before it and nothing smaller after it. */
static inline double kth_double(double *v, int n, int k)
{
	int lo = 0, hi = n - 1;

	while (lo < hi) {
		double p = v[lo + (hi - lo) / 2];
		int i = lo, j = hi;

		while (i <= j) {
			while (v[i] < p)
				i++;
			while (v[j] > p)
				j--;
			if (i <= j) {
				double t = v[i];

				v[i++] = v[j];
				v[j--] = t;
			}
		}
		if (k <= j)
			hi = j;
		else if (k >= i)
			lo = i;
		else
			break;          /* v[k] is the pivot's value, in its place */
	}
	return v[k];
}

#endif
