/* main.c — placeholder until the phases land. */
int main(void);
int
main(void)
{
	return 0;
}
